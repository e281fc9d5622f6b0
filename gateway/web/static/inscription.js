// Inscription: 1. the candidate by NEPH, 2. a session on the map, and the cart.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
let candidate = null;
let account = null;
let selectedCentre = null;

const dateTime = new Intl.DateTimeFormat("fr-FR", {
  weekday: "long", day: "numeric", month: "long", year: "numeric",
  hour: "2-digit", minute: "2-digit", timeZone: "Europe/Paris",
});

// --- 1. Candidate ------------------------------------------------------------------
bindForm(document.getElementById("candidat"), {
  method: "GET",
  get path() { return `/api/inscription/candidat?neph=${encodeURIComponent(document.getElementById("candidat-neph").value)}`; },
  body() { return undefined; },
  done(data, region) {
    candidate = data;
    document.getElementById("fiche-nom").value = data.usage_name ? `${data.birth_name} (${data.usage_name})` : data.birth_name;
    document.getElementById("fiche-prenoms").value = data.given_names;
    document.getElementById("fiche-naissance").value = data.birth_date.split("-").reverse().join("/");
    document.getElementById("fiche-ecole").value = account ? account.company_name : "";
    document.getElementById("candidat-fiche").hidden = false;
    document.getElementById("candidat-neph").readOnly = true;
    say(region, "Candidat trouvé : choisissez maintenant une session.", "succes");
    renderSlots();
  },
  failed() { resetCandidate(false); },
});

function resetCandidate(clearMessage = true) {
  candidate = null;
  document.getElementById("candidat-fiche").hidden = true;
  const neph = document.getElementById("candidat-neph");
  neph.readOnly = false;
  if (clearMessage) {
    neph.value = "";
    say(document.getElementById("candidat-message"), "", "succes");
  }
  renderSlots();
}
document.getElementById("candidat-reinitialiser").addEventListener("click", () => resetCandidate());

// --- 2. Search, map and slots -----------------------------------------------------------
let lastResult = null;
let franceSvg = null;

async function loadMap() {
  const response = await fetch("/static/france.svg");
  const holder = document.getElementById("carte");
  holder.innerHTML = await response.text();
  franceSvg = holder.querySelector("svg");
  franceSvg.setAttribute("role", "img");
}

function project(lat, lon) {
  const d = franceSvg.dataset;
  return [(lon - Number(d.west)) * Number(d.kx), (Number(d.north) - lat) * Number(d.ky)];
}

function renderMap(result) {
  for (const old of franceSvg.querySelectorAll(".repere")) old.remove();
  const [vw, vh] = franceSvg.viewBox.baseVal ? [franceSvg.viewBox.baseVal.width, franceSvg.viewBox.baseVal.height] : [0, 0];
  const inside = ([x, y]) => x >= 0 && y >= 0 && x <= vw && y <= vh;
  const here = project(result.place.latitude, result.place.longitude);
  if (inside(here)) {
    const mark = document.createElementNS(SVG_NS, "circle");
    mark.setAttribute("class", "repere ville");
    mark.setAttribute("cx", here[0]); mark.setAttribute("cy", here[1]); mark.setAttribute("r", 4);
    franceSvg.append(mark);
  }
  for (const centre of result.centres) {
    const point = project(centre.latitude, centre.longitude);
    if (!inside(point)) continue;
    const pin = document.createElementNS(SVG_NS, "circle");
    pin.setAttribute("class", "repere epingle");
    pin.setAttribute("cx", point[0]); pin.setAttribute("cy", point[1]); pin.setAttribute("r", 7);
    pin.setAttribute("tabindex", "0");
    pin.setAttribute("role", "button");
    pin.setAttribute("aria-label", `${centre.name}, ${centre.free_seats} places libres`);
    pin.dataset.centre = centre.id;
    const title = document.createElementNS(SVG_NS, "title");
    title.textContent = `${centre.name} — ${centre.free_seats} places libres`;
    pin.append(title);
    pin.addEventListener("click", () => selectCentre(centre.id));
    pin.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") selectCentre(centre.id); });
    franceSvg.append(pin);
  }
}

function renderCentres(result) {
  const list = document.getElementById("centres");
  list.replaceChildren();
  for (const centre of result.centres) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "lien";
    button.textContent = `${centre.name} (${centre.city}) — ${centre.distance_km} km — ${centre.free_seats} places libres${centre.pmr ? " — accès PMR" : ""}`;
    button.addEventListener("click", () => selectCentre(centre.id));
    li.append(button);
    list.append(li);
  }
}

function selectCentre(id) {
  selectedCentre = lastResult.centres.find((c) => c.id === id);
  for (const pin of franceSvg.querySelectorAll(".epingle")) pin.classList.toggle("choisi", pin.dataset.centre === id);
  document.getElementById("titre-creneaux").textContent = `Créneaux — ${selectedCentre.name}`;
  document.getElementById("centre-adresse").textContent = `${selectedCentre.address}, ${selectedCentre.postal_code} ${selectedCentre.city}${selectedCentre.opening_hours ? ` — ${selectedCentre.opening_hours}` : ""}`;
  document.getElementById("creneaux").hidden = false;
  renderSlots();
}

function renderSlots() {
  const list = document.getElementById("liste-creneaux");
  list.replaceChildren();
  if (!selectedCentre) return;
  for (const slot of selectedCentre.sessions) {
    const li = document.createElement("li");
    li.dataset.session = slot.id;
    const label = `${dateTime.format(new Date(slot.starts_at))} — session ${slot.kind} — ${slot.free_seats} place(s) libre(s)`;
    li.append(document.createTextNode(label + " "));
    const add = document.createElement("button");
    add.type = "button";
    add.textContent = "Ajouter au panier";
    add.disabled = !candidate || slot.free_seats < 1;
    add.addEventListener("click", () => addToCart(slot));
    li.append(add);
    list.append(li);
  }
}

bindForm(document.getElementById("recherche-session"), {
  method: "GET",
  get path() {
    const data = formData(document.getElementById("recherche-session"));
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(data)) if (value) query.set(key, value);
    return `/api/examens/recherche?${query}`;
  },
  body() { return undefined; },
  done(data, region) {
    lastResult = data;
    selectedCentre = null;
    document.getElementById("creneaux").hidden = true;
    document.getElementById("resultats").hidden = false;
    say(region, data.centres.length ? `${data.centres.length} centre(s) autour de ${data.place.name}.` : `Aucune session autour de ${data.place.name} sur cette période.`, "succes");
    renderMap(data);
    renderCentres(data);
  },
});

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

// Lines removed from this page: the cart is a read model that may lag by a
// moment, so they are not shown again meanwhile.
const removedLines = new Set();

async function showCart() {
  const result = await api("GET", "/api/panier");
  const list = document.getElementById("panier");
  list.replaceChildren();
  if (!result.ok) return;
  result.data.items = result.data.items.filter((line) => !removedLines.has(line.id));
  if (!result.data.items.length) {
    const li = document.createElement("li");
    li.textContent = "Le panier est vide.";
    list.append(li);
  }
  for (const line of result.data.items) {
    const li = document.createElement("li");
    li.dataset.reservation = line.id;
    li.append(document.createTextNode(`${line.candidate_name} (NEPH ${line.neph}) — ${line.centre_name} — ${dateTime.format(new Date(line.exam_starts_at))} `));
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "secondaire";
    remove.textContent = "Retirer";
    remove.addEventListener("click", async () => {
      const done = await api("DELETE", `/api/panier/${line.id}`);
      if (done.ok) removedLines.add(line.id);
      say(document.getElementById("panier-message"), done.ok ? `${line.candidate_name} retiré(e) du panier : la place est libérée.` : done.data.message, done.ok ? "succes" : "erreur");
      showCart();
    });
    li.append(remove);
    list.append(li);
  }
}

// --- 3. Payment ----------------------------------------------------------------------
// One key per payment: a retry of the same payment (same card, no definite
// answer yet) reuses it and is charged once; a new payment gets a new key.
const paymentKey = new ActionKey();
const PAID = "Merci d'avoir effectué vos inscriptions sur notre site, Celles-ci sont maintenant effectives.";
const ABANDONED = "Ce paiement n'a pas abouti : aucun montant n'a été débité. Vos places restent dans le panier jusqu'à leur expiration : vous pouvez payer à nouveau.";
let verifying = null;  // the payment being verified with the provider

for (const radio of document.querySelectorAll("input[name=mode]")) {
  radio.addEventListener("change", () => {
    const sepa = document.querySelector("input[name=mode]:checked").value === "sepa";
    document.getElementById("champs-carte").hidden = sepa;
    document.getElementById("champs-sepa").hidden = !sepa;
  });
}

function documentLink(label, path, filename) {
  const li = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "lien";
  button.textContent = label;
  button.addEventListener("click", () => downloadFile(path, filename));
  li.append(button);
  document.getElementById("documents").append(li);
}

async function showDocuments(payment) {
  const list = document.getElementById("documents");
  list.replaceChildren();
  // Confirmation follows the payment by a moment: wait for it.
  for (let tries = 0; tries < 20; tries++) {
    const found = await api("GET", "/api/reservations");
    const paid = found.ok ? found.data.items.filter((r) => payment.reservation_ids.includes(r.id) && r.status === "confirmée") : [];
    if (paid.length === payment.reservation_ids.length) {
      showCart();  // the paid lines have left the cart now
      const payments = await api("GET", "/api/paiements");
      const row = payments.ok && payments.data.items.find((p) => p.id === payment.id && p.invoice_number);
      if (row) documentLink("Télécharger la facture", `/api/paiements/${payment.id}/facture`, "facture.pdf");
      for (const r of paid) {
        documentLink(`Télécharger la convocation de ${r.candidate_name}`, `/api/reservations/${r.id}/convocation`, "convocation.pdf");
      }
      return;
    }
    await new Promise((done) => setTimeout(done, 500));
  }
}

// The provider did not settle the payment: the platform asks it again by
// itself (PMC_PAYMENT_RECONCILE_SECONDS); meanwhile the page says so and looks
// at « Paiements » until the payment is paid or abandoned.
async function followVerification(payment, region) {
  say(region, payment.message, "attente");
  if (verifying === payment.id) return;  // already followed (a retry)
  verifying = payment.id;
  while (verifying === payment.id) {
    await new Promise((done) => setTimeout(done, 3000));
    const payments = await api("GET", "/api/paiements");
    const row = payments.ok && payments.data.items.find((p) => p.id === payment.id);
    if (!row || row.status === "en cours") continue;
    verifying = null;
    paymentKey.key = null;  // settled: the next payment is a new one
    if (row.status === "payé") {
      say(region, PAID, "succes");
      document.getElementById("form-paiement").reset();
      showDocuments(payment);
    } else {
      say(region, ABANDONED, "erreur");
    }
    showCart();
  }
}

function paymentContent(form) {
  const sepa = document.querySelector("input[name=mode]:checked").value === "sepa";
  const base = { cgv: form.cgv.checked };
  return sepa
    ? { ...base, iban: form.iban.value, bic: form.bic.value, titulaire: form.titulaire.value }
    : { ...base, carte: form.carte.value };
}

bindForm(document.getElementById("form-paiement"), {
  get path() {
    const sepa = document.querySelector("input[name=mode]:checked").value === "sepa";
    return sepa ? "/api/paiement/sepa" : "/api/paiement/carte";
  },
  body(form) {
    const content = paymentContent(form);
    const mode = document.querySelector("input[name=mode]:checked").value;
    return { ...content, cle: paymentKey.for({ mode, ...content }) };
  },
  headers(payload) {
    return { "Idempotency-Key": payload.cle };  // the body's key, as a header too
  },
  failed(result) {
    // Declined, abandoned, refused: final for its key; no answer: kept.
    paymentKey.settle(result);
  },
  done(data, region) {
    if (data.status === "en cours") {
      followVerification(data, region);
      return;
    }
    paymentKey.settle({ status: 201 });
    say(region, data.message, "succes");
    document.getElementById("form-paiement").reset();
    showCart();
    showDocuments(data);
  },
});

requireAccount().then(async (found) => {
  if (!found) return;
  account = found;
  await loadMap();
  showCart();
});
