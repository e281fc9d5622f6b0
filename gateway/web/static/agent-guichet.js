// The counter agent's desk (ID-7): sign in with an agent's account, find a
// request by the number on the document presented, compare the data, enter
// the code the person brings, or refuse with a reason. The agent's token is
// kept apart from schools' and candidates', under its own key.
"use strict";

const AGENT_TOKEN_KEY = "pmc-jeton-agent";
const region = () => document.getElementById("guichet-message");
let current = null;

async function agentApi(method, path, body) {
  const headers = { Accept: "application/json", "Content-Type": "application/json" };
  const token = sessionStorage.getItem(AGENT_TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    const response = await fetch(path, { method, headers, body: JSON.stringify(body) });
    const data = await response.json().catch(() => ({ message: "Réponse inattendue du service." }));
    return { ok: response.ok, data };
  } catch (err) {
    return { ok: false, data: { message: "Le service est injoignable. Réessayez." } };
  }
}

const LABELS = {
  civilite: "Civilité",
  prenoms: "Prénoms",
  nom_naissance: "Nom de naissance",
  nom_usage: "Nom d'usage",
  date_naissance: "Date de naissance",
  commune_naissance: "Commune de naissance",
  pays_naissance: "Pays de naissance",
  nationalite: "Nationalité",
};

function showCase(found) {
  current = found.identity_id;
  const list = document.getElementById("donnees");
  list.replaceChildren();
  const data = found.donnees || {};
  const rows = Object.entries(LABELS).map(([key, label]) => {
    const value = Array.isArray(data[key]) ? data[key].join(", ") : data[key];
    return [label, value || "—"];
  });
  const document_ = data.document || {};
  rows.push(["Pièce", `${document_.type || ""} n° ${document_.numero || ""}, valable jusqu'au ${document_.date_expiration || ""}`]);
  rows.push(["État", found.statut]);
  for (const [label, value] of rows) {
    const term = document.createElement("dt");
    term.textContent = label;
    const detail = document.createElement("dd");
    detail.textContent = value;
    list.append(term, detail);
  }
  document.getElementById("demande").hidden = false;
}

function fieldsOf(form) {
  return Object.fromEntries(new FormData(form).entries());
}

function wire(id, action) {
  const form = document.getElementById(id);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    const result = await action(fieldsOf(form));
    button.disabled = false;
    if (!result.ok) say(region(), result.data.message || "Une erreur est survenue.", "erreur");
  });
}

wire("form-connexion", async (body) => {
  const result = await agentApi("POST", "/api/agents/sessions", body);
  if (result.ok) {
    sessionStorage.setItem(AGENT_TOKEN_KEY, result.data.token);
    document.getElementById("connexion").hidden = true;
    document.getElementById("recherche").hidden = false;
    say(region(), "Vous êtes connecté(e).", "succes");
  }
  return result;
});

wire("form-recherche", async (body) => {
  document.getElementById("demande").hidden = true;
  const result = await agentApi("POST", "/api/agents/guichet/recherche", body);
  if (result.ok) {
    say(region(), "Demande trouvée.", "succes");
    showCase(result.data);
  }
  return result;
});

wire("form-code", async (body) => {
  const result = await agentApi("POST", `/api/agents/guichet/${current}/verification`, body);
  if (result.ok) {
    say(region(), "Identité vérifiée : la personne reçoit son code d'activation par SMS et par e-mail.", "succes");
    showCase(result.data);
  }
  return result;
});

wire("form-refus", async (body) => {
  const result = await agentApi("POST", `/api/agents/demandes/${current}/refus`, body);
  if (result.ok) {
    say(region(), "Vérification refusée : la personne en est informée avec le motif.", "succes");
    showCase(result.data);
  }
  return result;
});

if (sessionStorage.getItem(AGENT_TOKEN_KEY)) {
  document.getElementById("connexion").hidden = true;
  document.getElementById("recherche").hidden = false;
}
