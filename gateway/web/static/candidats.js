// Espace client › Candidats: list, search, create, import, export, actions.
"use strict";

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text || "";
  return td;
}

// `who` makes each row's button a name of its own for screen readers
// (« Archiver le dossier de … »), the visible label staying short.
function actionButton(label, who, onClick) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "secondaire";
  button.textContent = label;
  button.setAttribute("aria-label", `${label} — ${who}`);
  button.addEventListener("click", onClick);
  return button;
}

const AWAITING = "en attente de la validation de l'adresse e-mail";

// A file sent by post waits for the candidate's code, not for an e-mail address.
function shownStatus(row) {
  if (row.status === AWAITING && row.contact === "courrier") {
    return "en attente de la confirmation du candidat (code envoyé par courrier)";
  }
  return row.email_to_validate ? `${row.status} — nouvelle adresse e-mail à valider` : row.status;
}

let shownRows = [];

// The list is a read model a moment behind the change just made: show it
// again until the change appears (a few tries), so the row is never missing.
async function showListUntil(search, seen) {
  for (let tries = 0; tries < 10; tries++) {
    await showList(search);
    if (shownRows.some(seen)) return;
    await new Promise((done) => setTimeout(done, 300));
  }
}

// The list follows the file's events a moment behind: shown again until the
// erased file has left it.
async function showListWithout(search, candidateId) {
  for (let tries = 0; tries < 10; tries++) {
    await showList(search);
    if (!shownRows.some((r) => r.candidate_id === candidateId)) return;
    await new Promise((done) => setTimeout(done, 300));
  }
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
  shownRows = result.data.items;
  for (const row of result.data.items) {
    const tr = document.createElement("tr");
    tr.dataset.neph = row.neph;
    const name = [row.given_names, row.usage_name || row.birth_name].filter(Boolean).join(" ");
    const who = `${name} (NEPH ${row.neph})`;
    tr.append(cell(row.neph), cell(row.usage_name ? `${row.birth_name} (${row.usage_name})` : row.birth_name),
      cell(row.given_names), cell(shownStatus(row)));
    const actions = document.createElement("td");
    if (row.status === AWAITING || row.email_to_validate) {
      const byPost = row.contact === "courrier";
      actions.append(actionButton(byPost ? "Renvoyer le courrier" : "Renvoyer le lien", who, async () => {
        const sent = await api("POST", `/api/candidats/${row.candidate_id}/renvoi`);
        const done = byPost ? `Un nouveau courrier va être envoyé au candidat (NEPH ${row.neph}).` : `Un nouveau lien a été envoyé au candidat (NEPH ${row.neph}).`;
        say(region, sent.ok ? done : sent.data.message, sent.ok ? "succes" : "erreur");
      }));
    }
    if (row.status === AWAITING || row.status === "activé") {
      actions.append(actionButton("Modifier", who, () => editContact(row.candidate_id)));
    }
    if (row.status === "activé") {
      actions.append(actionButton("Récépissé", who,
        () => downloadFile(`/api/candidats/${row.candidate_id}/recu`, `recepisse-${row.neph}.pdf`)));
    }
    if (row.status === "activé" || row.status === "refusé par le candidat") {
      actions.append(actionButton("Archiver", who, async () => {
        const sure = await confirmAction(`Archiver le dossier de ${who} ? Le dossier ne pourra plus être utilisé pour une inscription.`, "Archiver le dossier");
        if (!sure) return;
        const done = await api("POST", `/api/candidats/${row.candidate_id}/archivage`);
        await showListUntil(document.getElementById("recherche-texte").value,
          (r) => !done.ok || (r.candidate_id === row.candidate_id && r.status === "archivé"));
        // Said after the list is shown again, which would otherwise clear it.
        say(region, done.ok ? `Dossier ${row.neph} archivé.` : done.data.message, done.ok ? "succes" : "erreur");
      }));
    }
    actions.append(actionButton("Effacer", who, async () => {
      const sure = await confirmAction(`Effacer le dossier de ${who} ? Ses données personnelles seront supprimées définitivement de la plateforme ; seules les factures restent, comme la loi l'exige.`, "Effacer le dossier");
      if (!sure) return;
      const done = await api("POST", `/api/candidats/${row.candidate_id}/effacement`);
      await showListWithout(document.getElementById("recherche-texte").value, done.ok ? row.candidate_id : null);
      say(region, done.ok ? `Dossier ${row.neph} effacé.` : done.data.message, done.ok ? "succes" : "erreur");
    }));
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
    showListUntil("", (r) => r.neph === data.neph);
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
