// What the agents' desks share (ID-7): the agent's token, kept under the
// agents' own key apart from schools' and candidates'; calls to the API; the
// identity data shown for comparison with the document; forms whose refusals
// are said in the page's message region.
"use strict";

const AGENT_TOKEN_KEY = "pmc-jeton-agent";

async function agentApi(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const token = sessionStorage.getItem(AGENT_TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({ message: "Réponse inattendue du service." }));
    return { ok: response.ok, status: response.status, data };
  } catch (err) {
    return { ok: false, status: 0, data: { message: "Le service est injoignable. Réessayez." } };
  }
}

const IDENTITY_LABELS = {
  civilite: "Civilité",
  prenoms: "Prénoms",
  nom_naissance: "Nom de naissance",
  nom_usage: "Nom d'usage",
  date_naissance: "Date de naissance",
  commune_naissance: "Commune de naissance",
  pays_naissance: "Pays de naissance",
  nationalite: "Nationalité",
};

// The request's identity data and document, as rows to compare.
function identityRows(found) {
  const data = found.donnees || {};
  const rows = Object.entries(IDENTITY_LABELS).map(([key, label]) => {
    const value = Array.isArray(data[key]) ? data[key].join(", ") : data[key];
    return [label, value || "—"];
  });
  const document_ = data.document || {};
  rows.push(["Pièce", `${document_.type || ""} n° ${document_.numero || ""}, valable jusqu'au ${document_.date_expiration || ""}`]);
  return rows;
}

function showRows(list, rows) {
  list.replaceChildren();
  for (const [label, value] of rows) {
    const term = document.createElement("dt");
    term.textContent = label;
    const detail = document.createElement("dd");
    detail.textContent = value;
    list.append(term, detail);
  }
}

// The fields' own messages say what to correct; the general one otherwise.
function problemOf(data) {
  const fields = Object.values(data.fields || {}).flat();
  return fields.length ? fields.join(" ") : data.message || "Une erreur est survenue.";
}

// A form whose `action` answers as agentApi does; a refusal is said in `region`.
function wireDeskForm(id, region, action) {
  const form = document.getElementById(id);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    const result = await action(Object.fromEntries(new FormData(form).entries()));
    button.disabled = false;
    if (!result.ok) say(region(), problemOf(result.data), "erreur");
  });
}
