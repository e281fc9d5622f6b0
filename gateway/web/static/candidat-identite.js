// The candidate's digital identity (ID-7) in their space, in La Poste's three
// steps (seeds 001 and 003): the request (document and civil status, checked
// once more before it is fixed), the check (post office, mail carrier or
// online: a registered e-letter explains the procedure, the files are sent
// here), then the activation code and the 4-digit secret code. Each state
// shows only what the candidate can do next.
"use strict";

const DOCUMENT_KINDS = { carte_identite: "Carte d'identité", passeport: "Passeport", titre_sejour: "Titre de séjour" };
const CIVILITIES = { Mme: "Madame", "M.": "Monsieur" };
const identityForm = () => document.getElementById("form-identite");
// The request being entered, kept while the candidate reads it over.
let pendingRequest = null;
// Which ended request's data already filled the form for a new one.
let prefilledFrom = null;

function identityDate(iso) {
  return iso ? new Date(iso).toLocaleString("fr-FR", { dateStyle: "long", timeStyle: "short", timeZone: "Europe/Paris" }) : "";
}

// A calendar day (AAAA-MM-JJ) in words; noon keeps it the same day everywhere.
function identityDay(iso, weekday) {
  if (!iso) return "";
  const options = weekday
    ? { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "Europe/Paris" }
    : { dateStyle: "long", timeZone: "Europe/Paris" };
  return new Date(`${iso}T12:00:00Z`).toLocaleDateString("fr-FR", options);
}

function documentText(document_) {
  if (!document_) return "";
  return `${DOCUMENT_KINDS[document_.type] || ""} n° ${document_.numero || ""}`;
}

function identityState(identity) {
  const until = identityDate(identity.echeance);
  const online = identity.mode === "en_ligne";
  switch (identity.statut) {
    case null:
    case undefined:
      return "Vous n'avez pas demandé d'Identité Numérique.";
    case "demandee":
      return "Votre demande est enregistrée : choisissez comment faire vérifier votre identité.";
    case "en_attente_fichiers":
      return "Une lettre recommandée électronique vous a été envoyée par e-mail. Accusez-en réception pour la lire : "
        + "elle explique la marche à suivre et donne les trois chiffres à prononcer dans votre vidéo. "
        + `Envoyez ensuite ci-dessous les photos de votre pièce et votre vidéo, avant le ${until}.`;
    case "en_verification":
      if (online) return `Vos photos et votre vidéo sont examinées par un agent, dans les 48 heures ouvrées (avant le ${until}).`;
      if (identity.mode === "facteur") {
        return `Votre facteur viendra vérifier votre identité à votre domicile le ${identityDay(identity.creneau, true)}. `
          + "L'heure de son passage dépend de sa tournée habituelle.";
      }
      return `Rendez-vous dans un bureau de poste avant le ${until}. Passé ce délai de 15 jours, votre demande sera terminée.`;
    case "verifiee":
      return (online
        ? "Votre identité est vérifiée : votre code d'activation vous a été envoyé par lettre recommandée électronique et par SMS."
        : "Votre identité est vérifiée : votre code d'activation vous a été envoyé par e-mail et par SMS.")
        + ` Saisissez-le avant le ${until}, puis créez votre code secret.`;
    case "active":
      return "Votre Identité Numérique est active : vous pouvez vous connecter avec votre numéro de téléphone mobile et votre code secret.";
    case "verrouillee":
      return "Votre Identité Numérique est verrouillée après 5 codes secrets erronés : elle ne permet plus de vous connecter. "
        + "Vous pouvez faire une nouvelle demande ci-dessous.";
    default:
      return `Votre demande est terminée. Motif : ${identity.motif || "—"} Vous pouvez faire une nouvelle demande ci-dessous.`;
  }
}

// -- field errors and help texts ------------------------------------------------

// Help texts stay tied to their field, beside any error shown there.
function linkHelp(form) {
  for (const field of form.querySelectorAll("[data-aide]")) {
    const error = field.getAttribute("aria-invalid") ? `${form.id}-${field.name.replace(/\W/g, "-")}-erreur` : "";
    field.setAttribute("aria-describedby", [error, field.dataset.aide].filter(Boolean).join(" "));
  }
}

function clearIdentityErrors(form) {
  clearErrors(form);
  linkHelp(form);
}

// The API's 400 answer beside each field: « prenoms.0 » goes to « prenoms »,
// a radio group's error after its group; what no field shows goes to the
// message region.
function showIdentityErrors(form, message, fields) {
  const named = {};
  const elsewhere = [];
  for (const [name, messages] of Object.entries(fields || {})) {
    const key = name.replace(/\.\d+$/, "");
    if (form.querySelector(`[name="${CSS.escape(key)}"]`)) named[key] = [...(named[key] || []), ...messages];
    else elsewhere.push(...messages);
  }
  say(region(), [message || "Une erreur est survenue.", ...elsewhere].join(" "), "erreur");
  showFieldErrors(form, named);
  for (const error of form.querySelectorAll("fieldset .erreur-champ")) {
    const group = error.closest("fieldset");
    group.append(error);
    for (const radio of group.querySelectorAll("input[type=radio]")) {
      radio.setAttribute("aria-invalid", "true");
      radio.setAttribute("aria-describedby", error.id);
    }
  }
  linkHelp(form);
}

// -- the request -----------------------------------------------------------------

function requestBody(form) {
  const body = formData(form);
  body.prenoms = (body.prenoms || "").split(/\s+/).filter(Boolean);
  if (!body.nom_usage) delete body.nom_usage;
  body.document = body.document || {};
  if (body.document.type !== "titre_sejour") delete body.document.date_delivrance;
  return body;
}

function recapLine(term, value) {
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  dd.textContent = value || "—";
  return [dt, dd];
}

function showRecap(body) {
  const doc = body.document;
  const lines = [
    ["Pièce d'identité", `${DOCUMENT_KINDS[doc.type] || "—"} n° ${doc.numero || "—"}`],
    ["Date d'expiration", identityDay(doc.date_expiration)],
    ...(doc.type === "titre_sejour" ? [["Date de délivrance", identityDay(doc.date_delivrance)]] : []),
    ["Civilité", CIVILITIES[body.civilite]],
    ["Prénom(s)", body.prenoms.join(" ")],
    ["Nom de naissance", body.nom_naissance],
    ["Nom d'usage", body.nom_usage],
    ["Date de naissance", identityDay(body.date_naissance)],
    ["Commune de naissance", body.commune_naissance],
    ["Pays de naissance", body.pays_naissance],
    ["Nationalité", body.nationalite],
  ];
  document.getElementById("recapitulatif").replaceChildren(...lines.flatMap(([t, v]) => recapLine(t, v)));
  identityForm().hidden = true;
  document.getElementById("identite-recapitulatif").hidden = false;
  document.getElementById("titre-recapitulatif").focus();
}

function backToRequest() {
  document.getElementById("identite-recapitulatif").hidden = true;
  identityForm().hidden = false;
}

// A new request after an ended one starts from what was entered then.
function prefill(form, data) {
  if (!data) return;
  const values = {
    civilite: data.civilite,
    prenoms: (data.prenoms || []).join(" "),
    nom_naissance: data.nom_naissance,
    nom_usage: data.nom_usage,
    date_naissance: data.date_naissance,
    commune_naissance: data.commune_naissance,
    pays_naissance: data.pays_naissance,
    nationalite: data.nationalite,
    "document.type": data.document && data.document.type,
  };
  for (const [name, value] of Object.entries(values)) {
    for (const field of form.querySelectorAll(`[name="${CSS.escape(name)}"]`)) {
      if (field.type === "radio") field.checked = field.value === value;
      else field.value = value || "";
    }
  }
  showIssueDate(form);
}

function showIssueDate(form) {
  const checked = form.querySelector('input[name="document.type"]:checked');
  document.getElementById("piece-delivrance").hidden = !checked || checked.value !== "titre_sejour";
}

// -- each state's next step ------------------------------------------------------

function slotOptions(slots) {
  const none = new Option("Choisissez une date", "");
  return [none, ...(slots || []).map((day) => new Option(identityDay(day, true), day))];
}

function instructions(identity) {
  const box = document.getElementById("identite-consignes");
  const atPostOffice = identity.mode === "bureau_de_poste";
  box.querySelector("p").textContent = atPostOffice ? "Présentez au chargé de clientèle :" : "Présentez-lui :";
  const items = [`la pièce d'identité utilisée lors de votre demande (${documentText((identity.donnees || {}).document)}) ;`];
  if (atPostOffice) items.push("le code à 6 chiffres reçu par SMS et par e-mail.");
  document.getElementById("liste-consignes").replaceChildren(...items.map((text) => {
    const li = document.createElement("li");
    li.textContent = text;
    return li;
  }));
}

function showIdentity(identity) {
  const status = identity.statut;
  const asking = status === null || status === undefined || status === "terminee" || status === "verrouillee";
  document.getElementById("identite-etat").textContent = identityState(identity);
  const form = identityForm();
  const reading = !document.getElementById("identite-recapitulatif").hidden;
  if (!asking) document.getElementById("identite-recapitulatif").hidden = true;
  form.hidden = !asking || reading;
  document.getElementById("titre-demande").textContent = status ? "Faire une nouvelle demande" : "Créer mon Identité Numérique";
  if (asking && status && prefilledFrom !== identity.demande) {
    prefilledFrom = identity.demande;
    prefill(form, identity.donnees);
  }
  document.getElementById("identite-choix").hidden = status !== "demandee";
  if (status === "demandee") document.getElementById("creneau-facteur").replaceChildren(...slotOptions(identity.creneaux));
  const visit = status === "en_verification" && identity.mode !== "en_ligne";
  document.getElementById("identite-consignes").hidden = !visit;
  if (visit) instructions(identity);
  document.getElementById("form-en-ligne").hidden = status !== "en_attente_fichiers";
  document.getElementById("form-activation").hidden = status !== "verifiee";
}

async function loadIdentity() {
  const identity = await candidateApi("GET", "/api/candidat/identite");
  if (!identity.ok) return;
  showIdentity(identity.data);
}

// -- the candidate's actions -----------------------------------------------------

identityForm().addEventListener("change", (event) => {
  if (event.target.name === "document.type") showIssueDate(identityForm());
});

identityForm().addEventListener("submit", (event) => {
  event.preventDefault();
  clearIdentityErrors(identityForm());
  pendingRequest = requestBody(identityForm());
  showRecap(pendingRequest);
});

document.getElementById("modifier-demande").addEventListener("click", () => {
  backToRequest();
  identityForm().querySelector("input:not([type=radio])").focus();
});

document.getElementById("confirmer-demande").addEventListener("click", async (event) => {
  const button = event.target;
  button.disabled = true;
  const result = await candidateApi("POST", "/api/candidat/identite", pendingRequest);
  button.disabled = false;
  if (!result.ok) {
    backToRequest();
    showIdentityErrors(identityForm(), result.data.message, result.data.fields);
    return;
  }
  document.getElementById("identite-recapitulatif").hidden = true;
  identityForm().reset();
  showIssueDate(identityForm());
  say(region(), "Votre demande d'Identité Numérique est enregistrée.", "succes");
  showIdentity(result.data);
  document.getElementById("choisir-bureau").focus();
});

async function chooseCheck(body, done) {
  const result = await candidateApi("POST", "/api/candidat/identite/verification", body);
  if (!result.ok) return result;
  say(region(), done, "succes");
  showIdentity(result.data);
  return result;
}

document.getElementById("choisir-bureau").addEventListener("click", async () => {
  const result = await chooseCheck(
    { mode: "bureau_de_poste" },
    "Votre code à 6 chiffres vous a été envoyé par SMS et par e-mail.",
  );
  if (!result.ok) say(region(), result.data.message, "erreur");
});

document.getElementById("form-facteur").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  clearIdentityErrors(form);
  const result = await chooseCheck(
    { mode: "facteur", creneau: form.creneau.value },
    "La visite de votre facteur est enregistrée.",
  );
  if (!result.ok) showIdentityErrors(form, result.data.message, result.data.fields);
});

document.getElementById("choisir-en-ligne").addEventListener("click", async () => {
  const result = await chooseCheck({ mode: "en_ligne" }, "Une lettre recommandée électronique vous a été envoyée.");
  if (!result.ok) say(region(), result.data.message, "erreur");
});

function base64Of(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

document.getElementById("form-en-ligne").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  const body = {};
  for (const part of ["recto", "verso", "video"]) {
    const file = form[part].files[0];
    if (file) body[part] = await base64Of(file);
  }
  const result = await candidateApi("POST", "/api/candidat/identite/en-ligne", body);
  if (!result.ok) {
    say(region(), result.data.message, "erreur");
    showFieldErrors(form, result.data.fields);
    return;
  }
  say(region(), "Vos photos et votre vidéo sont envoyées.", "succes");
  form.reset();
  loadIdentity();
});

document.getElementById("form-activation").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  clearIdentityErrors(form);
  if (form.confirmation.value !== form.code_secret.value) {
    showIdentityErrors(form, "Certaines informations saisies sont incorrectes.", {
      confirmation: ["Les deux codes secrets ne sont pas identiques."],
    });
    return;
  }
  const result = await candidateApi("POST", "/api/candidat/identite/activation", {
    code: form.code.value.trim(), code_secret: form.code_secret.value,
  });
  if (!result.ok) {
    showIdentityErrors(form, result.data.message, result.data.fields);
    return;
  }
  form.reset();
  say(region(), "Bravo ! Votre Identité Numérique est activée : elle est maintenant prête à être utilisée.", "succes");
  showIdentity(result.data);
});

linkHelp(identityForm());
linkHelp(document.getElementById("form-activation"));
linkHelp(document.getElementById("form-facteur"));
