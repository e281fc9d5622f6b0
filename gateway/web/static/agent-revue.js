// The online reviewer's desk (ID-7): sign in with an agent's account, see the
// online requests awaiting review (the nearest deadline first), open one,
// compare the identity data with the document's photos and the video, then
// accept, or refuse with a reason the person is told (agent-desk.js: what the
// desks share).
"use strict";

const region = () => document.getElementById("revue-message");
let current = null;
// The video's blob: URL, revoked when another request is opened.
let videoUrl = null;

const PARTS = { recto: "Photo du recto de la pièce", verso: "Photo du verso de la pièce" };
const IMAGE_TYPES = ["image/jpeg", "image/png"];
const VIDEO_TYPES = ["video/mp4", "video/webm"];

function frenchDate(iso) {
  return new Date(iso).toLocaleString("fr-FR", {
    timeZone: "Europe/Paris",
    dateStyle: "short",
    timeStyle: "short",
  });
}

function showSignedIn(signedIn) {
  document.getElementById("connexion").hidden = signedIn;
  document.getElementById("file").hidden = !signedIn;
  if (!signedIn) document.getElementById("demande").hidden = true;
}

async function loadQueue() {
  const result = await agentApi("GET", "/api/agents/revue");
  if (!result.ok) {
    if (result.status === 401 || result.status === 403) {
      sessionStorage.removeItem(AGENT_TOKEN_KEY);
      showSignedIn(false);
    }
    say(region(), result.data.message || "Une erreur est survenue.", "erreur");
    return;
  }
  const rows = document.getElementById("file-lignes");
  rows.replaceChildren();
  const requests = result.data.demandes || [];
  for (const request of requests) {
    const row = document.createElement("tr");
    row.dataset.demande = request.identity_id;
    for (const text of [frenchDate(request.deposee_le), frenchDate(request.echeance), request.reste]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    const action = document.createElement("td");
    const open = document.createElement("button");
    open.type = "button";
    open.textContent = "Examiner";
    open.setAttribute("aria-label", `Examiner la demande déposée le ${frenchDate(request.deposee_le)}`);
    open.addEventListener("click", () => openRequest(request.identity_id, open));
    action.append(open);
    row.append(action);
    rows.append(row);
  }
  document.getElementById("file-table").hidden = requests.length === 0;
  document.getElementById("file-vide").hidden = requests.length !== 0;
}

async function openRequest(identityId, button) {
  button.disabled = true;
  const result = await agentApi("GET", `/api/agents/revue/${encodeURIComponent(identityId)}`);
  button.disabled = false;
  if (!result.ok) {
    say(region(), result.data.message || "Une erreur est survenue.", "erreur");
    return;
  }
  if (result.data.statut !== "en_verification") {
    // Its deadline passed, or another reviewer decided meanwhile.
    say(region(), "Cette demande n'attend plus d'examen.", "erreur");
    await loadQueue();
    return;
  }
  current = identityId;
  showData(result.data);
  showFiles(result.data.fichiers || []);
  document.getElementById("demande").hidden = false;
  say(region(), "Demande ouverte : comparez les données, les photos et la vidéo.", "succes");
  document.getElementById("titre-demande").focus();
}

function showData(found) {
  // The digits the registered e-letter asked the person to say in the video:
  // a video filmed for another request, or replayed, does not say them.
  const digits = ["Chiffres à entendre dans la vidéo", found.chiffres || "—"];
  const due = ["Échéance", found.echeance ? frenchDate(found.echeance) : "—"];
  showRows(document.getElementById("donnees"), [...identityRows(found), digits, due]);
}

function bytesOf(base64) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i += 1) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function showFiles(files) {
  const box = document.getElementById("pieces");
  box.replaceChildren();
  if (videoUrl) URL.revokeObjectURL(videoUrl);
  videoUrl = null;
  for (const file of files) {
    if (!file.data) continue;
    const figure = document.createElement("figure");
    const caption = document.createElement("figcaption");
    if (IMAGE_TYPES.includes(file.content_type) && PARTS[file.part]) {
      const image = document.createElement("img");
      // The type was read from the bytes by the platform, never from a name.
      image.src = `data:${file.content_type};base64,${file.data}`;
      image.alt = PARTS[file.part];
      caption.textContent = PARTS[file.part];
      figure.append(image, caption);
    } else if (VIDEO_TYPES.includes(file.content_type) && file.part === "video") {
      const video = document.createElement("video");
      videoUrl = URL.createObjectURL(new Blob([bytesOf(file.data)], { type: file.content_type }));
      video.src = videoUrl;
      video.controls = true;
      video.preload = "metadata";
      video.setAttribute("aria-label", "Vidéo de la personne");
      caption.textContent = "Vidéo de la personne (sans son requis)";
      figure.append(video, caption);
    } else {
      continue;
    }
    box.append(figure);
  }
}

function closeRequest(message) {
  current = null;
  document.getElementById("demande").hidden = true;
  document.getElementById("pieces").replaceChildren();
  if (videoUrl) URL.revokeObjectURL(videoUrl);
  videoUrl = null;
  document.getElementById("motif").value = "";
  say(region(), message, "succes");
}

function wire(id, action) {
  wireDeskForm(id, region, action);
}

wire("form-connexion", async (body) => {
  const result = await agentApi("POST", "/api/agents/sessions", body);
  if (result.ok) {
    sessionStorage.setItem(AGENT_TOKEN_KEY, result.data.token);
    showSignedIn(true);
    say(region(), "Vous êtes connecté(e).", "succes");
    await loadQueue();
  }
  return result;
});

async function decide(body) {
  const result = await agentApi("POST", `/api/agents/revue/${encodeURIComponent(current)}/decision`, body);
  if (result.ok) await loadQueue();
  return result;
}

wire("form-accepter", async () => {
  const result = await decide({ accepte: true });
  if (result.ok) {
    closeRequest("Identité vérifiée : la personne reçoit son code d'activation par lettre recommandée électronique et par SMS.");
  }
  return result;
});

wire("form-refus", async (body) => {
  const result = await decide({ accepte: false, motif: body.motif });
  if (result.ok) closeRequest("Vérification refusée : la personne en est informée avec le motif.");
  return result;
});

document.getElementById("actualiser").addEventListener("click", loadQueue);
document.getElementById("titre-demande").tabIndex = -1;

if (sessionStorage.getItem(AGENT_TOKEN_KEY)) {
  showSignedIn(true);
  loadQueue();
}
