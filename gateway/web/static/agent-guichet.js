// The counter agent's desk (ID-7): sign in with an agent's account, find a
// request by the number on the document presented, compare the data, enter
// the code the person brings, or refuse with a reason (agent-desk.js: what
// the desks share).
"use strict";

const region = () => document.getElementById("guichet-message");
let current = null;

function showCase(found) {
  current = found.identity_id;
  showRows(document.getElementById("donnees"), [...identityRows(found), ["État", found.statut]]);
  document.getElementById("demande").hidden = false;
}

function wire(id, action) {
  wireDeskForm(id, region, action);
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
