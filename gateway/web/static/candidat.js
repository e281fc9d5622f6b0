// The candidate's page (CA-3): check the data, swear, confirm or refuse.
"use strict";

const LABELS = [
  ["neph", "NEPH"], ["civility", "Civilité"], ["birth_name", "Nom de naissance"],
  ["usage_name", "Nom d'usage"], ["given_names", "Prénoms"], ["birth_date", "Date de naissance"],
  ["email", "Adresse e-mail"], ["address", "Adresse postale"], ["phone", "Téléphone"],
];
let link = null;
// The receipt's own token, from the confirmation: POSTed, never in an address.
let receipt = null;

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
  body(form) {
    return { ...link, attestation: true, refus_reutilisation: form.refus_reutilisation.checked };
  },
  done(data, region) {
    say(region, `Votre dossier est activé. Numéro de demande : ${data.request_number}.`, "succes");
    finished();
    receipt = { dossier: link.dossier, jeton_recu: data.jeton_recu };
    document.getElementById("recu").hidden = false;
  },
});

// With a password, confirming opens the candidate's account (seed 004): the
// confirmation goes to /api/candidat/compte instead, before the form above.
document.getElementById("form-confirmation").addEventListener("submit", async (event) => {
  const form = event.target;
  const password = form.password.value;
  if (!password || !form.attestation.checked) return; // the plain confirmation
  event.stopImmediatePropagation();
  event.preventDefault();
  clearErrors(form);
  const region = document.getElementById("dossier-message");
  const result = await api("POST", "/api/candidat/compte", {
    ...link, attestation: true, mot_de_passe: password,
    refus_reutilisation: form.refus_reutilisation.checked,
  });
  if (!result.ok) {
    say(region, result.data.message || "Une erreur est survenue.", "erreur");
    showFieldErrors(form, result.data.fields);
    return;
  }
  say(region, result.data.message, "succes");
  finished();
  if (result.data.jeton) candidateSession.save(result.data.jeton);
  document.getElementById("vers-espace").hidden = false;
}, true);

document.getElementById("refuser").addEventListener("click", async () => {
  const sure = await confirmAction(
    "Refuser ce dossier ? Il sera fermé et votre auto-école devra en créer un nouveau.",
    "Refuser le dossier",
  );
  if (!sure) return;
  const region = document.getElementById("dossier-message");
  const result = await api("POST", "/api/candidat/refus", link);
  if (result.ok) {
    say(region, "Vous avez refusé ce dossier. Votre auto-école en est informée et devra créer un nouveau dossier.", "succes");
    finished();
  } else {
    say(region, result.data.message, "erreur");
  }
});

document.getElementById("effacer").addEventListener("click", async () => {
  const sure = await confirmAction(
    "Effacer votre dossier ? Vos données personnelles seront supprimées définitivement de la plateforme ; votre auto-école devra créer un nouveau dossier pour vous inscrire.",
    "Effacer mon dossier",
  );
  if (!sure) return;
  const region = document.getElementById("dossier-message");
  const result = await api("POST", "/api/candidat/effacement", link);
  if (result.ok) {
    say(region, "Votre dossier et vos données personnelles ont été effacés.", "succes");
    document.getElementById("donnees").replaceChildren();
    document.getElementById("nom-attestation").textContent = "";
    finished();
  } else {
    say(region, result.data.message, "erreur");
  }
});

bindForm(document.getElementById("form-code"), {
  path: "/api/candidat/code",
  done(data) { openFile(data.dossier, data.jeton); },
});

document.getElementById("lien-recu").addEventListener("click", async (event) => {
  event.preventDefault();
  if (!receipt) return;
  const failed = await downloadPosted("/api/candidat/recu", receipt, "recepisse.pdf");
  if (failed) say(document.getElementById("dossier-message"), failed, "erreur");
});

const fromLink = linkParams();
if (fromLink.get("dossier") && fromLink.get("jeton")) {
  openFile(fromLink.get("dossier"), fromLink.get("jeton"));
} else {
  document.getElementById("code").hidden = false;
}
