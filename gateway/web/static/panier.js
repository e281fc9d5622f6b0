// Inscription › Panier: the held seats with their price and time left, removed
// or moved to another slot before paying (BO-3).
"use strict";

// --- Cart ----------------------------------------------------------------------------
const holdKey = new ActionKey();  // one hold per click; a retry holds once

async function addToCart(slot) {
  const region = document.getElementById("panier-message");
  const result = await keyedApi(holdKey, "POST", "/api/panier", { neph: candidate.neph, session: slot.id });
  if (result.ok) {
    say(region, `${result.data.candidate_name} ajouté(e) au panier.`, "succes");
    slot.free_seats -= 1;
    resetCandidate();
  } else {
    say(region, result.data.message, "erreur");
  }
  renderSlots();
  showCart();
}

// EX-2: a full session's waiting list. The first in line gets a freed seat
// in its cart for a while, with an e-mail.
const waitKey = new ActionKey();  // one entry per click; a retry queues once

function waitButton(slot, when) {
  const wait = document.createElement("button");
  wait.type = "button";
  wait.className = "secondaire";
  wait.textContent = "Liste d'attente";
  wait.setAttribute("aria-label", `Mettre en liste d'attente : ${when}`);
  wait.disabled = !candidate;
  wait.addEventListener("click", () => joinWaitingList(slot));
  return wait;
}

async function joinWaitingList(slot) {
  const region = document.getElementById("panier-message");
  const result = await keyedApi(waitKey, "POST", "/api/liste-attente", { neph: candidate.neph, session: slot.id });
  if (result.ok) {
    say(
      region,
      `${result.data.candidate_name} est en liste d'attente (rang ${result.data.rank}) : ` +
        "si une place se libère, elle sera mise dans votre panier et vous serez prévenu par e-mail.",
      "succes",
    );
    resetCandidate();
  } else {
    say(region, result.data.message, "erreur");
  }
  renderSlots();
}

// Lines removed from this page: the cart is a read model that may lag by a
// moment, so they are not shown again meanwhile.
const removedLines = new Set();
let moving = null;  // the cart line whose slot is being changed

function timeLeft(expiresAt) {
  const minutes = Math.ceil((new Date(expiresAt) - Date.now()) / 60000);
  if (minutes <= 0) return "place expirée";
  return minutes === 1 ? "expire dans 1 minute" : `expire dans ${minutes} minutes`;
}

// Each hold's time left, counted down on the page.
setInterval(() => {
  for (const span of document.querySelectorAll("#panier .temps-restant")) {
    span.textContent = timeLeft(span.dataset.expire);
  }
}, 15000);

function cartButton(label, name, className, onClick) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = className;
  button.textContent = label;
  button.setAttribute("aria-label", name);
  button.addEventListener("click", onClick);
  return button;
}

function cartLine(line, price) {
  const li = document.createElement("li");
  li.dataset.reservation = line.id;
  li.append(document.createTextNode(`${line.candidate_name} (NEPH ${line.neph}) — ${line.centre_name} — ${dateTime.format(new Date(line.exam_starts_at))} — ${money.format(price / 100)} TTC — `));
  const left = document.createElement("span");
  left.className = "temps-restant";
  left.dataset.expire = line.expires_at;
  left.textContent = timeLeft(line.expires_at);
  li.append(left, " ");
  li.append(cartButton("Changer de créneau", `Changer de créneau pour ${line.candidate_name}`, "secondaire", () => startMove(line)));
  li.append(cartButton("Retirer", `Retirer ${line.candidate_name} du panier`, "secondaire", async () => {
    const sure = await confirmAction(`Retirer ${line.candidate_name} du panier ? Sa place sera libérée.`, "Retirer du panier");
    if (!sure) return;
    const done = await api("DELETE", `/api/panier/${line.id}`);
    if (done.ok) removedLines.add(line.id);
    say(document.getElementById("panier-message"), done.ok ? `${line.candidate_name} retiré(e) du panier : la place est libérée.` : done.data.message, done.ok ? "succes" : "erreur");
    showCart();
  }));
  return li;
}

function startMove(line) {
  moving = line;
  const region = document.getElementById("panier-message");
  say(region, `Choisissez le nouveau créneau de ${line.candidate_name} dans les créneaux d'un centre (étape 2), avec « Choisir ce créneau ».`, "attente");
  const cancel = cartButton("Annuler le changement", `Annuler le changement de créneau de ${line.candidate_name}`, "lien", () => {
    moving = null;
    say(region, "", "succes");
    renderSlots();
  });
  region.append(" ", cancel);
  renderSlots();
  document.getElementById("recherche-lieu").focus();
}

async function moveTo(slot) {
  const line = moving;
  const region = document.getElementById("panier-message");
  const result = await api("PUT", `/api/panier/${line.id}`, { session: slot.id });
  if (result.ok) {
    moving = null;
    removedLines.add(line.id);  // the change is a new hold; the old one is gone
    say(region, `Créneau de ${line.candidate_name} changé : ${dateTime.format(new Date(slot.starts_at))}.`, "succes");
    slot.free_seats -= 1;
    renderSlots();
    await showCartWith(result.data.id);
    return;
  }
  say(region, result.data.message, "erreur");
  renderSlots();
  showCart();
}

// The cart is a read model: wait a moment for a line just written to show.
async function showCartWith(lineId) {
  for (let tries = 0; tries < 10; tries++) {
    if (await showCart() && document.querySelector(`#panier li[data-reservation="${lineId}"]`)) return;
    await new Promise((done) => setTimeout(done, 300));
  }
}

function showTotal(count, total) {
  const text = count
    ? `Total : ${money.format(total / 100)} TTC pour ${count} place${count > 1 ? "s" : ""}.`
    : "";
  document.getElementById("panier-total").textContent = text;
  document.getElementById("paiement-total").textContent = count
    ? `Total à payer : ${money.format(total / 100)} TTC (${count} place${count > 1 ? "s" : ""}).`
    : "Le panier est vide : rien à payer.";
}

async function showCart() {
  const result = await api("GET", "/api/panier");
  const list = document.getElementById("panier");
  list.replaceChildren();
  if (!result.ok) return false;
  const items = result.data.items.filter((line) => !removedLines.has(line.id));
  if (!items.length) {
    const li = document.createElement("li");
    li.textContent = "Le panier est vide.";
    list.append(li);
  }
  const price = result.data.seat_price_cents;
  for (const line of items) list.append(cartLine(line, price));
  showTotal(items.length, price * items.length);
  return true;
}
