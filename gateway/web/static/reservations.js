// Réservations (BO-5…BO-8): the school's reservations; a paid one is changed
// or cancelled while the API gives a last moment for it, a cancelled one
// offers its credit note, and each shows its history.
"use strict";

const when = new Intl.DateTimeFormat("fr-FR", { dateStyle: "full", timeStyle: "short", timeZone: "Europe/Paris" });
const stepTime = new Intl.DateTimeFormat("fr-FR", { dateStyle: "short", timeStyle: "short", timeZone: "Europe/Paris" });
const deadlineParts = new Intl.DateTimeFormat("fr-FR", {
  weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit", timeZone: "Europe/Paris",
});
const CANCELLED = "annulée";  // cancelled by the school: refunded, with a credit note
const COLUMNS = 6;
// Who acted, as the history's steps name them, said in a sentence.
const WHO = { "auto-école": "l'auto-école", plateforme: "la plateforme", banque: "la banque" };

// « mardi 12 janvier à 23 h 59 »
function deadlineText(iso) {
  const part = {};
  for (const { type, value } of deadlineParts.formatToParts(new Date(iso))) part[type] = value;
  return `${part.weekday} ${part.day} ${part.month} à ${part.hour} h ${part.minute}`;
}

// Rows this page has just written: the list is a read model that may lag by
// a moment, so the API's answer is shown until the list says the same.
const written = new Map();
const cancelKeys = new Map();  // reservation id → its cancellation's ActionKey
const openHistories = new Set();  // reservation ids whose history is shown
let busy = false;  // one change or cancellation at a time, no double submit

const region = () => document.getElementById("reservations-message");
const slotChange = new SlotChange((row, message) => {
  written.set(row.id, row);
  say(region(), message, "succes");
  showReservations(row.id);
});

function rowButton(label, name, className, onClick) {
  const button = document.createElement("button");
  button.type = "button";
  if (className) button.className = className;
  button.textContent = label;
  button.setAttribute("aria-label", name);
  button.addEventListener("click", onClick);
  return button;
}

function setBusy(value) {
  busy = value;
  for (const button of document.querySelectorAll("#reservations button.ecriture")) button.disabled = value;
}

// A card is refunded there and then; a SEPA debit by a later transfer, once
// the debit is collected, and not at all if the bank returns it (BI-4).
function refundPromise(r) {
  if (r.payment_method === "sepa") {
    return "le paiement de cette place remboursé par virement sur le compte prélevé une fois le prélèvement encaissé (aucun virement si votre banque le rejette)";
  }
  return "le paiement de cette place remboursé sur la carte utilisée";
}

async function cancel(r) {
  const sure = await confirmAction(
    `Annuler la réservation de ${r.candidate_name} (${when.format(new Date(r.exam_starts_at))}, ${r.centre_name}) ? `
    + `Sa place sera libérée et ${refundPromise(r)}, avec une facture d'avoir.`,
    "Confirmer l'annulation",
    "Garder la réservation",
  );
  if (!sure || busy) return;
  setBusy(true);
  if (!cancelKeys.has(r.id)) cancelKeys.set(r.id, new ActionKey());
  const result = await keyedApi(cancelKeys.get(r.id), "POST", `/api/reservations/${r.id}/annulation`);
  setBusy(false);
  if (!result.ok) {
    say(region(), result.data.message || "Une erreur est survenue.", "erreur");
    return;
  }
  if (slotChange.reservation && slotChange.reservation.id === r.id) slotChange.close();
  written.set(r.id, result.data);
  say(region(), `Réservation de ${r.candidate_name} annulée : la place est libérée et ${refundPromise(r)}. La facture d'avoir est téléchargeable dans quelques instants.`, "succes");
  showReservations(r.id);
}

// The credit note is made by billing a moment after the cancellation: wait
// for it a little before saying why there is none.
async function creditNote(button, r) {
  button.disabled = true;
  let failed = "";
  for (let tries = 0; tries < 8; tries++) {
    failed = await downloadFile(`/api/reservations/${r.id}/avoir`, "avoir.pdf");
    if (!failed) break;
    await new Promise((done) => setTimeout(done, 1000));
  }
  button.disabled = false;
  if (failed) say(region(), failed, "erreur");
}

function toggleHistory(button, r) {
  const open = button.getAttribute("aria-expanded") === "true";
  if (open) openHistories.delete(r.id);
  else openHistories.add(r.id);
  showHistory(button, r, !open);
}

// Read afresh each time it opens: the steps come from the reservation itself.
async function showHistory(button, r, open) {
  const row = document.getElementById(button.getAttribute("aria-controls"));
  button.setAttribute("aria-expanded", String(open));
  row.hidden = !open;
  if (!open) return;
  const list = row.querySelector("ol");
  list.replaceChildren();
  const result = await api("GET", `/api/reservations/${r.id}`);
  if (!result.ok) {
    const li = document.createElement("li");
    li.textContent = result.data.message || "L'historique n'a pas pu être lu. Réessayez.";
    list.append(li);
    return;
  }
  for (const step of result.data.history) {
    const li = document.createElement("li");
    const at = document.createElement("time");
    at.dateTime = step.at;
    at.textContent = stepTime.format(new Date(step.at));
    li.append(at, ` — ${step.step} (par ${WHO[step.by] || step.by})`);
    list.append(li);
  }
}

function actionsCell(r, historyId) {
  const td = document.createElement("td");
  const who = r.candidate_name;
  if (r.changes_allowed_until) {
    const until = document.createElement("p");
    until.className = "aide";
    until.textContent = `Modifiable jusqu'au ${deadlineText(r.changes_allowed_until)}`;
    const change = rowButton("Modifier", `Modifier la réservation de ${who}`, "ecriture", () => slotChange.open(r));
    const drop = rowButton("Annuler", `Annuler la réservation de ${who}`, "secondaire ecriture", () => cancel(r));
    change.disabled = drop.disabled = busy;
    td.append(until, change, drop);
  }
  if (r.status === CANCELLED) {
    const note = rowButton("Télécharger l'avoir", `Télécharger l'avoir de ${who}`, "lien", () => creditNote(note, r));
    td.append(note);
  }
  const history = rowButton("Historique", `Historique de la réservation de ${who}`, "lien", () => toggleHistory(history, r));
  history.setAttribute("aria-expanded", "false");
  history.setAttribute("aria-controls", historyId);
  history.classList.add("historique");
  td.append(" ", history);
  return td;
}

function historyRow(r, id) {
  const tr = document.createElement("tr");
  tr.id = id;
  tr.className = "historique";
  tr.hidden = true;
  const td = document.createElement("td");
  td.colSpan = COLUMNS;
  const title = document.createElement("p");
  title.textContent = `Historique de la réservation de ${r.candidate_name}`;
  td.append(title, document.createElement("ol"));
  tr.append(td);
  return tr;
}

// What to show of a listed row: this page's own answer while the list lags.
function current(r) {
  const mine = written.get(r.id);
  if (!mine) return r;
  if (mine.status === r.status && mine.session_id === r.session_id) written.delete(r.id);
  return mine;
}

// The search as typed: the list and its export show the same reservations.
function searchQuery() {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(formData(document.getElementById("recherche-reservations")))) if (value) query.set(key, value);
  return query;
}

async function showReservations(focusId) {
  const query = searchQuery();
  const result = await api("GET", `/api/reservations?${query}`);
  const body = document.querySelector("#reservations tbody");
  body.replaceChildren();
  if (!result.ok) { say(region(), result.data.message, "erreur"); return; }
  if (!focusId) say(region(), result.data.items.length ? "" : "Aucune réservation.", "succes");
  for (const listed of result.data.items) {
    const r = current(listed);
    const tr = document.createElement("tr");
    tr.dataset.reservation = r.id;
    for (const text of [r.candidate_name, r.neph, when.format(new Date(r.exam_starts_at)), `${r.centre_name} (${r.centre_city})`, r.status]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    const historyId = `historique-${r.id}`;
    tr.append(actionsCell(r, historyId));
    body.append(tr, historyRow(r, historyId));
    // A history left open stays open when the list is shown again.
    if (openHistories.has(r.id)) showHistory(tr.querySelector("button.historique"), r, true);
  }
  // After a change or a cancellation, focus stays on the row it was about.
  const acted = focusId && body.querySelector(`tr[data-reservation="${focusId}"] button.historique`);
  if (acted) acted.focus();
}
document.getElementById("recherche-reservations").addEventListener("submit", (e) => { e.preventDefault(); showReservations(); });
document.getElementById("export-reservations").addEventListener("click", async () => {
  const failed = await downloadFile(`/api/reservations/export?${searchQuery()}`, "reservations.csv");
  if (failed) say(region(), failed, "erreur");
});
requireAccount().then((account) => { if (account) showReservations(); });
