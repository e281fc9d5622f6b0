// Espace client › Candidats: list, search, create, import, export, actions.
"use strict";

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text || "";
  return td;
}

function actionButton(label, onClick) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "secondaire";
  button.textContent = label;
  button.addEventListener("click", onClick);
  return button;
}

async function showList(search) {
  const region = document.getElementById("liste-message");
  const query = search ? `?recherche=${encodeURIComponent(search)}` : "";
  const result = await api("GET", `/api/candidats${query}`);
  const body = document.querySelector("#liste tbody");
  body.replaceChildren();
  if (!result.ok) {
    say(region, result.data.message, "erreur");
    return;
  }
  say(region, result.data.items.length ? "" : "Aucun dossier.", "succes");
  for (const row of result.data.items) {
    const tr = document.createElement("tr");
    tr.dataset.neph = row.neph;
    tr.append(cell(row.neph), cell(row.usage_name ? `${row.birth_name} (${row.usage_name})` : row.birth_name),
      cell(row.given_names), cell(row.email_to_validate ? `${row.status} — nouvelle adresse e-mail à valider` : row.status));
    const actions = document.createElement("td");
    if (row.status === "en attente de la validation de l'adresse e-mail") {
      actions.append(actionButton("Renvoyer le lien", async () => {
        const sent = await api("POST", `/api/candidats/${row.candidate_id}/renvoi`);
        say(region, sent.ok ? `Un nouveau lien a été envoyé au candidat (NEPH ${row.neph}).` : sent.data.message, sent.ok ? "succes" : "erreur");
      }));
    }
    if (row.status === "en attente de la validation de l'adresse e-mail" || row.status === "activé") {
      actions.append(actionButton("Modifier", () => editContact(row.candidate_id)));
    }
    if (row.status === "activé" || row.status === "refusé par le candidat") {
      actions.append(actionButton("Archiver", async () => {
        const done = await api("POST", `/api/candidats/${row.candidate_id}/archivage`);
        say(region, done.ok ? `Dossier ${row.neph} archivé.` : done.data.message, done.ok ? "succes" : "erreur");
        showList(document.getElementById("recherche-texte").value);
      }));
    }
    tr.append(actions);
    body.append(tr);
  }
}

let editing = null;

async function editContact(candidateId) {
  const result = await api("GET", `/api/candidats/${candidateId}`);
  if (!result.ok) return;
  const file = result.data;
  editing = candidateId;
  const form = document.getElementById("contact");
  form.elements.email.value = file.email || "";
  form.elements.phone.value = file.phone || "";
  for (const key of ["street", "postal_code", "city"]) {
    form.elements[`address.${key}`].value = (file.address && file.address[key]) || "";
  }
  document.getElementById("modification-qui").textContent = `${file.given_names} ${file.birth_name} (NEPH ${file.neph})`;
  document.getElementById("modification").hidden = false;
  form.elements.email.focus();
}

bindForm(document.getElementById("contact"), {
  method: "PATCH",
  get path() { return `/api/candidats/${editing}/contact`; },
  body(form) {
    const data = formData(form);
    if (data.address && !Object.values(data.address).some((v) => v.trim())) data.address = null;
    return data;
  },
  done(data, region) {
    say(region, data.email_to_validate ? "Coordonnées enregistrées : le candidat doit valider sa nouvelle adresse e-mail." : "Coordonnées enregistrées.", "succes");
    showList(document.getElementById("recherche-texte").value);
  },
});

requireAccount().then((account) => { if (account) showList(""); });

document.getElementById("recherche").addEventListener("submit", (event) => {
  event.preventDefault();
  showList(document.getElementById("recherche-texte").value);
});

document.getElementById("export").addEventListener("click", (event) => {
  event.preventDefault();
  downloadFile("/api/candidats/export", "candidats.csv");
});

bindForm(document.getElementById("creation"), {
  path: "/api/candidats",
  idempotent: true,
  body(form) {
    const data = formData(form);
    if (data.address && !Object.values(data.address).some((v) => v.trim())) delete data.address;
    return data;
  },
  done(data, region) {
    say(region, `Dossier créé : le candidat (NEPH ${data.neph}) va recevoir ${data.contact === "email" ? "un e-mail" : "un courrier"} pour confirmer son dossier.`, "succes");
    document.getElementById("creation").reset();
    showList("");
  },
});

const importKey = new ActionKey();  // a retried import creates each line once

document.getElementById("import").addEventListener("submit", async (event) => {
  event.preventDefault();
  const region = document.getElementById("import-message");
  const report = document.getElementById("import-rapport");
  report.replaceChildren();
  const file = document.getElementById("import-fichier").files[0];
  if (!file) {
    say(region, "Choisissez un fichier CSV.", "erreur");
    return;
  }
  const result = await keyedApi(importKey, "POST", "/api/candidats/import", { csv: await file.text() });
  if (!result.ok) {
    say(region, (result.data.fields && result.data.fields.csv || [result.data.message]).join(" "), "erreur");
    return;
  }
  const failed = result.data.failed.length;
  say(region, `${result.data.created} dossier(s) créé(s), ${failed} ligne(s) en erreur.`, failed ? "erreur" : "succes");
  for (const line of result.data.failed) {
    const li = document.createElement("li");
    const reasons = Object.values(line.errors).flat().join(" ");
    li.textContent = `Ligne ${line.line}${line.neph ? ` (NEPH ${line.neph})` : ""} : ${reasons}`;
    report.append(li);
  }
  showList("");
});
