// The candidate's page (CA-3): check the data, swear, confirm or refuse.
"use strict";

const LABELS = [
  ["neph", "NEPH"], ["civility", "Civilité"], ["birth_name", "Nom de naissance"],
  ["usage_name", "Nom d'usage"], ["given_names", "Prénoms"], ["birth_date", "Date de naissance"],
  ["email", "Adresse e-mail"], ["address", "Adresse postale"], ["phone", "Téléphone"],
];
let link = null;

function shown(key, value) {
  if (key === "civility") return value === "MME" ? "Madame" : "Monsieur";
  if (key === "birth_date" && value) return value.split("-").reverse().join("/");
  if (key === "address" && value) return `${value.street}, ${value.postal_code} ${value.city}`;
  return value || "—";
}

async function openFile(candidate, token) {
  link = { dossier: candidate, jeton: token };
  const region = document.getElementById("dossier-message");
  const result = await api("POST", "/api/candidat/dossier", link);
  if (!result.ok) {
    say(region, result.data.message, "erreur");
    return;
  }
  const list = document.getElementById("donnees");
  list.replaceChildren();
  for (const [key, label] of LABELS) {
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.textContent = shown(key, result.data[key]);
    list.append(dt, dd);
  }
  document.getElementById("nom-attestation").textContent = `${result.data.given_names} ${result.data.birth_name}`;
  document.getElementById("code").hidden = true;
  document.getElementById("dossier").hidden = false;
}

function finished() {
  document.getElementById("form-confirmation").hidden = true;
}

bindForm(document.getElementById("form-confirmation"), {
  path: "/api/candidat/confirmation",
  check(form) {
    return form.attestation.checked ? null : { attestation: ["Cochez l'attestation sur l'honneur pour confirmer."] };
  },
  body() { return { ...link, attestation: true }; },
  done(data, region) {
    say(region, `Votre dossier est activé. Numéro de demande : ${data.request_number}.`, "succes");
    finished();
    const receipt = document.getElementById("lien-recu");
    receipt.href = `/api/candidat/recu?dossier=${encodeURIComponent(link.dossier)}&jeton_recu=${encodeURIComponent(data.jeton_recu)}`;
    document.getElementById("recu").hidden = false;
  },
});

document.getElementById("refuser").addEventListener("click", async () => {
  const region = document.getElementById("dossier-message");
  const result = await api("POST", "/api/candidat/refus", link);
  if (result.ok) {
    say(region, "Vous avez refusé ce dossier. Votre auto-école en est informée et devra créer un nouveau dossier.", "succes");
    finished();
  } else {
    say(region, result.data.message, "erreur");
  }
});

bindForm(document.getElementById("form-code"), {
  path: "/api/candidat/code",
  done(data) { openFile(data.dossier, data.jeton); },
});

const query = params();
if (query.get("dossier") && query.get("jeton")) {
  openFile(query.get("dossier"), query.get("jeton"));
} else {
  document.getElementById("code").hidden = false;
}
