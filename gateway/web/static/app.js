// Passer mon code — the pages' only script: calls the JSON API, shows its
// messages, keeps the bearer token of the signed-in school for this tab.
"use strict";

const TOKEN_KEY = "pmc-jeton";

const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  save: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

// « Chargement… » while any call is under way, announced once to screen readers.
let pending = 0;
function loading(delta) {
  pending += delta;
  let banner = document.getElementById("chargement");
  if (!banner) {
    banner = document.createElement("div");
    banner.id = "chargement";
    banner.className = "chargement";
    banner.setAttribute("role", "status");
    banner.hidden = true;
    document.body.append(banner);
  }
  banner.hidden = pending === 0;
  banner.textContent = pending ? "Chargement…" : "";
  document.body.setAttribute("aria-busy", String(pending > 0));
}

async function api(method, path, body, extraHeaders) {
  loading(1);
  const signedIn = Boolean(session.token());
  let result;
  try {
    result = await call(method, path, body, extraHeaders);
  } finally {
    loading(-1);
  }
  // The session ended while the page was open: say so on the sign-in page.
  if (signedIn && result.status === 401 && result.data.code === "non_authentifie") {
    backToSignIn(result.data.message);
  }
  return result;
}

async function call(method, path, body, extraHeaders) {
  const headers = { Accept: "application/json", ...(extraHeaders || {}) };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const token = session.token();
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    return { ok: false, status: 0, data: { message: "Le service est injoignable. Vérifiez votre connexion et réessayez." } };
  }
  let data = {};
  try {
    data = await response.json();
  } catch (err) {
    data = { message: "Réponse inattendue du service. Réessayez plus tard." };
  }
  return { ok: response.ok, status: response.status, data };
}

// Idempotency keys (TR-3): one key per user action, sent as the
// Idempotency-Key header. It is kept while the outcome is unknown (no answer,
// 5xx, 202 « en cours de vérification ») so that trying the same action again
// is done once; a definite answer, or other content, starts a new action.
function newKey() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

class ActionKey {
  constructor() { this.key = null; this.content = null; }
  // The key for this content: the pending one if it is the same action again.
  for(body) {
    const content = JSON.stringify(body === undefined ? null : body);
    if (!this.key || content !== this.content) {
      this.key = newKey();
      this.content = content;
    }
    return this.key;
  }
  settle(result) {
    const uncertain = result.status === 0 || result.status === 202 || result.status >= 500;
    if (!uncertain) this.key = null;
  }
  headers(body) { return { "Idempotency-Key": this.for(body) }; }
}

// A write with its action's key; the key is settled by the answer.
async function keyedApi(actionKey, method, path, body) {
  const result = await api(method, path, body, actionKey.headers(body));
  actionKey.settle(result);
  return result;
}

// Field names use dots for nested objects: "address.city" → {address: {city}}.
function formData(form) {
  const body = {};
  for (const field of form.querySelectorAll("input[name], select[name]")) {
    if (field.dataset.local !== undefined) continue;
    if ((field.type === "radio" || field.type === "checkbox") && !field.checked) continue;
    const path = field.name.split(".");
    let target = body;
    for (const key of path.slice(0, -1)) target = target[key] = target[key] || {};
    target[path[path.length - 1]] = field.value;
  }
  return body;
}

function clearErrors(form) {
  for (const p of form.querySelectorAll(".erreur-champ")) p.remove();
  for (const field of form.querySelectorAll("[aria-invalid]")) {
    field.removeAttribute("aria-invalid");
    field.removeAttribute("aria-describedby");
  }
}

function showFieldErrors(form, fields) {
  for (const [name, messages] of Object.entries(fields || {})) {
    const field = form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (!field) continue;
    const id = `${form.id}-${name.replace(/\W/g, "-")}-erreur`;
    const p = document.createElement("p");
    p.className = "erreur-champ";
    p.id = id;
    p.textContent = messages.join(" ");
    (field.closest("label") || field).insertAdjacentElement("afterend", p);
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", id);
  }
  // Focus the first wrong field in the order the form shows them.
  const first = form.querySelector("[aria-invalid=true]");
  if (first) first.focus();
}

function say(region, text, kind) {
  region.textContent = text;
  region.className = `message ${kind}`;
}

// A message followed by the link that lets the user act on it.
function sayWithLink(region, text, kind, label, href) {
  say(region, `${text} `, kind);
  const link = document.createElement("a");
  link.href = href;
  link.textContent = label;
  region.append(link);
}

// Wire a form to an endpoint. options: method, path, body(form) → payload,
// done(data) → what to do on success (default: show data.message),
// idempotent: send an Idempotency-Key, one per user action (see ActionKey),
// headers(payload) → extra request headers.
function bindForm(form, options) {
  const region = document.getElementById(form.dataset.message);
  const actionKey = options.idempotent ? new ActionKey() : null;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const check = options.check ? options.check(form) : null;
    if (check) {
      showFieldErrors(form, check);
      say(region, "Certaines informations saisies sont incorrectes.", "erreur");
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    let payload;
    try {
      // A body may need an answer from elsewhere first (a card's token).
      payload = await (options.body || formData)(form);
    } catch (refused) {
      button.disabled = false;
      say(region, refused.message || "Une erreur est survenue.", "erreur");
      showFieldErrors(form, refused.fields);
      return;
    }
    const method = options.method || "POST";
    const headers = options.headers ? options.headers(payload) : undefined;
    const result = actionKey
      ? await keyedApi(actionKey, method, options.path, payload)
      : await api(method, options.path, payload, headers);
    button.disabled = false;
    if (result.ok) {
      if (options.done) options.done(result.data, region);
      else say(region, result.data.message, "succes");
    } else {
      say(region, result.data.message || "Une erreur est survenue.", "erreur");
      showFieldErrors(form, result.data.fields);
      if (options.failed) options.failed(result, region);
    }
  });
}

function params() {
  return new URLSearchParams(window.location.search);
}

// What an e-mailed link carries after « # » (compte, dossier, jeton): a
// browser never sends the fragment, so no server or proxy logs the token; the
// page sends it in a POST body. Once read it leaves the address bar, so that it
// stays neither in the history nor in a copied address, and waits in this
// tab's sessionStorage, so that reloading the page still works.
function linkParams() {
  const key = `pmc-lien:${window.location.pathname}`;
  const given = new URLSearchParams(window.location.hash.slice(1));
  if (given.has("jeton")) {
    sessionStorage.setItem(key, given.toString());
    history.replaceState(null, "", window.location.pathname + window.location.search);
    return given;
  }
  return new URLSearchParams(sessionStorage.getItem(key) || "");
}

// Why the sign-in page was shown again, said there once (an expired session).
const NOTICE_KEY = "pmc-avis-connexion";

function backToSignIn(notice) {
  session.clear();
  sessionStorage.setItem(NOTICE_KEY, notice);
  window.location.assign("/#connexion");
}

function takeSignInNotice() {
  const notice = sessionStorage.getItem(NOTICE_KEY);
  sessionStorage.removeItem(NOTICE_KEY);
  return notice;
}

// Pages of the Espace client need a session; without one, back to sign-in.
async function requireAccount() {
  if (!session.token()) {
    backToSignIn("Connectez-vous pour accéder à votre espace client.");
    return null;
  }
  const result = await api("GET", "/api/compte");
  if (!result.ok) {
    backToSignIn(result.status === 401
      ? result.data.message
      : result.data.message || "Votre espace est momentanément indisponible. Reconnectez-vous.");
    return null;
  }
  for (const el of document.querySelectorAll("[data-compte]")) {
    el.textContent = result.data[el.dataset.compte] || "";
  }
  const logout = document.getElementById("deconnexion");
  if (logout) logout.addEventListener("click", async () => {
    // The session ends on the server first: a copy of the token stops working.
    await api("DELETE", "/api/sessions");
    session.clear();
    window.location.assign("/");
  });
  return result.data;
}

const DOWNLOAD_FAILED = "Le fichier n'a pas pu être téléchargé. Réessayez.";

// Save what a request for a file answers. Resolves to "" once saved, else to
// why not (the API's French message).
async function saveDownload(request, filename) {
  loading(1);
  try {
    const response = await request();
    if (!response.ok) {
      const data = await response.json().catch(() => ({}));
      return data.message || DOWNLOAD_FAILED;
    }
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await response.blob());
    link.download = filename;
    link.click();
    return "";
  } catch (err) {
    return DOWNLOAD_FAILED;
  } finally {
    loading(-1);
  }
}

// Download a file the API serves to the signed-in school (PDF, CSV).
function downloadFile(path, filename) {
  return saveDownload(() => fetch(path, { headers: { Authorization: `Bearer ${session.token()}` } }), filename);
}

// Download a file the API answers to a POST (the candidate's receipt): its
// token travels in the body, never in an address a server would log.
function downloadPosted(path, body, filename) {
  return saveDownload(() => fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  }), filename);
}

// Ask before an action that cannot be undone; resolves to true when confirmed.
// A modal <dialog>: focus stays in it, Échap cancels, the question is its name.
// keepLabel: the button that changes nothing, when « Annuler » would be ambiguous.
function confirmAction(question, confirmLabel, keepLabel = "Annuler") {
  const dialog = document.createElement("dialog");
  dialog.className = "confirmation";
  dialog.setAttribute("aria-labelledby", "confirmation-question");
  const text = document.createElement("p");
  text.id = "confirmation-question";
  text.textContent = question;
  const yes = document.createElement("button");
  yes.type = "button";
  yes.textContent = confirmLabel;
  const no = document.createElement("button");
  no.type = "button";
  no.className = "secondaire";
  no.textContent = keepLabel;
  dialog.append(text, yes, no);
  document.body.append(dialog);
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const close = (answer) => {
      dialog.close();
      dialog.remove();
      if (opener && opener.isConnected) opener.focus();
      resolve(answer);
    };
    yes.addEventListener("click", () => close(true));
    no.addEventListener("click", () => close(false));
    dialog.addEventListener("cancel", (event) => { event.preventDefault(); close(false); });
    dialog.showModal();
    no.focus();
  });
}

const money = new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" });
