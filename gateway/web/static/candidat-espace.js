// The candidate's space (ID-6): sign in (by e-mail and password, or strongly
// with an active digital identity), prove the e-mail and phone by code, then
// the files, their receipts (again at any time), convocations and released
// results (none before the release, 24 hours after the exam).
"use strict";

const region = () => document.getElementById("espace-message");

// Whether the phone still waits for its code: its form stays beside the files.
let verifiedPhone = true;

function show(section) {
  const phoneWaits = section === "dossiers" && !verifiedPhone;
  document.getElementById("connexion").hidden = section !== "connexion";
  document.getElementById("verification").hidden = section !== "verification" && !phoneWaits;
  document.getElementById("dossiers").hidden = section !== "dossiers";
  document.getElementById("identite").hidden = section !== "dossiers";
}

function frenchDate(iso) {
  return new Date(iso).toLocaleString("fr-FR", { dateStyle: "full", timeStyle: "short", timeZone: "Europe/Paris" });
}

// A date without its time (« 2031-12-07 »), as the French read it: 07/12/2031.
function shortDate(isoDay) {
  const [year, month, day] = isoDay.split("-");
  return `${day}/${month}/${year}`;
}

// `name`, when given, is what a screen reader announces: the visible label and
// which exam it is about, so that two such buttons are told apart.
function downloadButton(label, path, filename, name) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "secondaire";
  button.textContent = label;
  if (name) button.setAttribute("aria-label", name);
  button.addEventListener("click", async () => {
    const failed = await candidateDownload(path, filename);
    if (failed) say(region(), failed, "erreur");
  });
  return button;
}

function fileItem(file) {
  const item = document.createElement("li");
  item.dataset.dossier = file.id;
  const title = document.createElement("h3");
  title.textContent = file.request_number ? `Demande ${file.request_number}` : "Demande";
  const status = document.createElement("p");
  status.textContent = `État : ${file.status}`;
  const school = document.createElement("p");
  school.textContent = `Auto-école : ${file.school_name || "—"} · NEPH ${file.neph}`;
  item.append(title, status, school);
  if (file.confirmed_at) {
    item.append(downloadButton("Télécharger mon récépissé (PDF)", `/api/candidat/dossiers/${file.id}/recu`, "recepisse.pdf"));
  }
  for (const convocation of file.convocations || []) {
    const line = document.createElement("p");
    line.textContent = `Examen le ${frenchDate(convocation.exam_starts_at)} — ${convocation.centre_name || ""} ${convocation.centre_city || ""}`;
    item.append(line, downloadButton(
      "Télécharger ma convocation (PDF)",
      `/api/candidat/dossiers/${file.id}/convocations/${convocation.id}`,
      "convocation.pdf",
    ));
  }
  if ((file.results || []).length) item.append(resultsPart(file));
  return item;
}

// « Résultats »: each released result of the file, with its document (RE-2).
function resultsPart(file) {
  const part = document.createElement("div");
  const title = document.createElement("h4");
  title.id = `resultats-${file.id}`;
  title.textContent = "Résultats";
  part.setAttribute("role", "group");
  part.setAttribute("aria-labelledby", title.id);
  const list = document.createElement("ul");
  list.className = "resultats";
  for (const result of file.results) list.append(resultItem(file, result));
  part.append(title, list);
  return part;
}

function resultItem(file, result) {
  const item = document.createElement("li");
  item.dataset.resultat = result.reservation_id;
  const exam = `Examen du ${frenchDate(result.exam_starts_at)}`;
  const where = document.createElement("p");
  where.textContent = `${exam} — ${result.centre_name}, ${result.centre_city}`;
  const verdict = document.createElement("p");
  verdict.textContent = result.score === null || result.score === undefined
    ? `Résultat : ${result.outcome}`
    : `Note : ${result.score}/40 — Résultat : ${result.outcome}`;
  item.append(where, verdict);
  if (result.valid_until) {
    const validity = document.createElement("p");
    validity.textContent = `Valable jusqu'au ${shortDate(result.valid_until)}`;
    item.append(validity);
  }
  const label = "Télécharger le résultat (PDF)";
  item.append(downloadButton(
    label,
    `/api/candidat/dossiers/${file.id}/resultats/${result.reservation_id}/pdf`,
    "resultat.pdf",
    `${label} — ${exam}`,
  ));
  return item;
}

async function load() {
  if (!candidateSession.token()) {
    show("connexion");
    return;
  }
  const account = await candidateApi("GET", "/api/candidat/compte");
  if (!account.ok) {
    candidateSession.clear();
    say(region(), account.data.message, "erreur");
    show("connexion");
    return;
  }
  verifiedPhone = account.data.telephone_verifie || !account.data.telephone;
  document.getElementById("form-code-email").hidden = account.data.email_verifie;
  document.getElementById("form-code-telephone").hidden = verifiedPhone;
  if (!account.data.email_verifie) {
    show("verification");
    return;
  }
  const files = await candidateApi("GET", "/api/candidat/dossiers");
  if (!files.ok) {
    say(region(), files.data.message, "erreur");
    return;
  }
  document.getElementById("liste-dossiers").replaceChildren(...files.data.items.map(fileItem));
  show("dossiers");
  await loadIdentity();
}

document.getElementById("form-connexion").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  const result = await candidateApi("POST", "/api/candidat/sessions", {
    email: form.email.value, mot_de_passe: form.mot_de_passe.value,
  });
  if (!result.ok) {
    say(region(), result.data.message, "erreur");
    showFieldErrors(form, result.data.fields);
    return;
  }
  candidateSession.save(result.data.jeton);
  say(region(), "Vous êtes connecté(e).", "succes");
  load();
});

// Strong sign-in (ID-7): an active digital identity's phone and secret code.
// Five wrong secret codes lock the identity; each refusal says how many remain.
document.getElementById("form-connexion-forte").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  const result = await candidateApi("POST", "/api/candidat/identite/sessions", {
    telephone: form.telephone.value.trim(), code_secret: form.code_secret.value,
  });
  form.code_secret.value = "";
  if (!result.ok) {
    say(region(), result.data.message, "erreur");
    showFieldErrors(form, result.data.fields);
    return;
  }
  candidateSession.save(result.data.token);
  form.reset();
  say(region(), "Vous êtes connecté(e) avec votre Identité Numérique.", "succes");
  load();
});

for (const form of document.querySelectorAll("#verification form")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const result = await candidateApi("POST", "/api/candidat/compte/verification", {
      canal: form.dataset.canal, code: form.code.value.trim(),
    });
    if (!result.ok) {
      say(region(), result.data.message, "erreur");
      showFieldErrors(form, result.data.fields);
      return;
    }
    say(region(), form.dataset.canal === "email" ? "Votre adresse e-mail est vérifiée." : "Votre téléphone est vérifié.", "succes");
    form.reset();
    load();
  });
  form.querySelector(".renvoi").addEventListener("click", async () => {
    const result = await candidateApi("POST", "/api/candidat/compte/codes", { canal: form.dataset.canal });
    say(region(), result.ok ? "Un nouveau code vous a été envoyé." : result.data.message, result.ok ? "succes" : "erreur");
  });
}

document.getElementById("deconnexion").addEventListener("click", async () => {
  await candidateApi("DELETE", "/api/candidat/sessions");
  candidateSession.clear();
  document.getElementById("liste-dossiers").replaceChildren();
  say(region(), "Vous êtes déconnecté(e).", "succes");
  show("connexion");
});

load();
