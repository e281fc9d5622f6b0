// Résultats (RE-1, RE-2, EX-1): the school's released results, searched by
// name, NEPH or exam date; each result's PDF, a session's results in one PDF,
// and the list as a spreadsheet.
"use strict";

const when = new Intl.DateTimeFormat("fr-FR", { dateStyle: "full", timeStyle: "short", timeZone: "Europe/Paris" });
const day = new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeZone: "Europe/Paris" });
const region = () => document.getElementById("resultats-message");

function searchQuery() {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(formData(document.getElementById("recherche-resultats")))) if (value) query.set(key, value);
  return query;
}

function downloadButton(label, name, path, filename) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "lien";
  button.textContent = label;
  button.setAttribute("aria-label", name);
  button.addEventListener("click", async () => {
    const failed = await downloadFile(path, filename);
    if (failed) say(region(), failed, "erreur");
  });
  return button;
}

function row(r, firstOfSession) {
  const tr = document.createElement("tr");
  const exam = when.format(new Date(r.exam_starts_at));
  const validity = r.valid_until ? day.format(new Date(`${r.valid_until}T12:00:00Z`)) : "";
  for (const text of [r.candidate_name, r.neph, exam, `${r.centre_name} (${r.centre_city})`, r.score === null ? "" : `${r.score}/40`, r.outcome, validity]) {
    const td = document.createElement("td");
    td.textContent = text;
    tr.append(td);
  }
  const cell = document.createElement("td");
  cell.append(downloadButton("Résultat (PDF)", `Télécharger le résultat de ${r.candidate_name} (${exam})`, `/api/resultats/${r.reservation_id}/pdf`, "resultat.pdf"));
  if (firstOfSession) {
    cell.append(" ", downloadButton("Résultats de la session (PDF)", `Télécharger les résultats de la session du ${exam} à ${r.centre_name}`, `/api/resultats/sessions/${r.session_id}/pdf`, "resultats-session.pdf"));
  }
  tr.append(cell);
  return tr;
}

async function showResults() {
  const result = await api("GET", `/api/resultats?${searchQuery()}`);
  const body = document.querySelector("#resultats tbody");
  body.replaceChildren();
  if (!result.ok) { say(region(), result.data.message, "erreur"); return; }
  say(region(), result.data.items.length ? "" : "Aucun résultat publié.", "succes");
  const sessions = new Set();
  for (const r of result.data.items) {
    body.append(row(r, !sessions.has(r.session_id)));
    sessions.add(r.session_id);
  }
}

document.getElementById("recherche-resultats").addEventListener("submit", (e) => { e.preventDefault(); showResults(); });
document.getElementById("export-resultats").addEventListener("click", async () => {
  const failed = await downloadFile(`/api/resultats/export?${searchQuery()}`, "resultats.csv");
  if (failed) say(region(), failed, "erreur");
});
requireAccount().then((account) => { if (account) showResults(); });
