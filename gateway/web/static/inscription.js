// Inscription: 1. the candidate by NEPH, 2. a session on the map, 3. payment
// (the cart is in panier.js).
"use strict";

let candidate = null;
let account = null;
let selectedCentre = null;

const dateTime = new Intl.DateTimeFormat("fr-FR", {
  weekday: "long", day: "numeric", month: "long", year: "numeric",
  hour: "2-digit", minute: "2-digit", timeZone: "Europe/Paris",
});

// --- 1. Candidate ------------------------------------------------------------------
bindForm(document.getElementById("candidat"), {
  method: "GET",
  get path() { return `/api/inscription/candidat?neph=${encodeURIComponent(document.getElementById("candidat-neph").value)}`; },
  body() { return undefined; },
  done(data, region) {
    candidate = data;
    document.getElementById("fiche-nom").value = data.usage_name ? `${data.birth_name} (${data.usage_name})` : data.birth_name;
    document.getElementById("fiche-prenoms").value = data.given_names;
    document.getElementById("fiche-naissance").value = data.birth_date.split("-").reverse().join("/");
    document.getElementById("fiche-ecole").value = account ? account.company_name : "";
    document.getElementById("candidat-fiche").hidden = false;
    document.getElementById("candidat-neph").readOnly = true;
    say(region, "Candidat trouvé : choisissez maintenant une session.", "succes");
    renderSlots();
  },
  failed() { resetCandidate(false); },
});

function resetCandidate(clearMessage = true) {
  candidate = null;
  document.getElementById("candidat-fiche").hidden = true;
  const neph = document.getElementById("candidat-neph");
  neph.readOnly = false;
  if (clearMessage) {
    neph.value = "";
    say(document.getElementById("candidat-message"), "", "succes");
  }
  renderSlots();
}
document.getElementById("candidat-reinitialiser").addEventListener("click", () => resetCandidate());

// --- 2. Search, map and slots -----------------------------------------------------------
let lastResult = null;
const centreMap = new CentreMap(document.getElementById("carte"), (id) => selectCentre(id));
let mapReady = null;

function renderCentres(result) {
  const list = document.getElementById("centres");
  list.replaceChildren();
  for (const centre of result.centres) {
    const li = document.createElement("li");
    li.dataset.centre = centre.id;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "lien";
    button.textContent = `${centre.name} (${centre.city}) — ${centre.distance_km} km — ${centre.free_seats} places libres${centre.pmr ? " — accès PMR" : ""}`;
    button.addEventListener("click", () => selectCentre(centre.id));
    li.append(button);
    list.append(li);
  }
}

function selectCentre(id) {
  selectedCentre = lastResult.centres.find((c) => c.id === id);
  centreMap.choose(id);
  document.getElementById("titre-creneaux").textContent = `Créneaux — ${selectedCentre.name}`;
  document.getElementById("centre-adresse").textContent = `${selectedCentre.address}, ${selectedCentre.postal_code} ${selectedCentre.city}${selectedCentre.opening_hours ? ` — ${selectedCentre.opening_hours}` : ""}`;
  document.getElementById("creneaux").hidden = false;
  renderSlots();
  // Keyboard and screen-reader users land on the slots they asked for.
  document.getElementById("titre-creneaux").focus();
}

function renderSlots() {
  const list = document.getElementById("liste-creneaux");
  list.replaceChildren();
  if (!selectedCentre) return;
  for (const slot of selectedCentre.sessions) {
    const li = document.createElement("li");
    li.dataset.session = slot.id;
    const label = `${dateTime.format(new Date(slot.starts_at))} — session ${slot.kind} — ${slot.free_seats} place(s) libre(s)`;
    li.append(document.createTextNode(label + " "));
    const add = document.createElement("button");
    add.type = "button";
    const when = dateTime.format(new Date(slot.starts_at));
    if (moving) {
      add.textContent = "Choisir ce créneau";
      add.setAttribute("aria-label", `Choisir ce créneau pour ${moving.candidate_name} : ${when}`);
      add.disabled = slot.free_seats < 1 || slot.id === moving.session_id;
      add.addEventListener("click", () => moveTo(slot));
    } else {
      add.textContent = "Ajouter au panier";
      add.setAttribute("aria-label", `Ajouter au panier : ${when}`);
      add.disabled = !candidate || slot.free_seats < 1;
      add.addEventListener("click", () => addToCart(slot));
    }
    li.append(add);
    if (!moving && slot.free_seats < 1) li.append(" ", waitButton(slot, when));
    list.append(li);
  }
}

const searchForm = document.getElementById("recherche-session");
const MAX_RADIUS = 1000;

// A new town typed: forget which homonym and how far was chosen for the last one.
document.getElementById("recherche-lieu").addEventListener("input", () => {
  document.getElementById("recherche-commune").value = "";
  document.getElementById("recherche-rayon").value = "";
});

function offerTowns(data, region) {
  const list = document.getElementById("communes");
  list.replaceChildren();
  say(region, `Plusieurs communes s'appellent « ${data.choices[0].name} » : laquelle ?`, "attente");
  for (const choice of data.choices) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondaire";
    button.textContent = `${choice.name} — ${choice.departement_name} (${choice.departement})`;
    button.addEventListener("click", () => {
      document.getElementById("recherche-commune").value = choice.commune;
      searchForm.requestSubmit();
    });
    li.append(button);
    list.append(li);
  }
  list.hidden = false;
  list.querySelector("button").focus();
}

function offerWider(radius) {
  const block = document.getElementById("elargir-bloc");
  block.hidden = radius >= MAX_RADIUS;
  const wider = Math.min(radius * 2, MAX_RADIUS);
  const button = document.getElementById("elargir");
  button.textContent = `Élargir la recherche à ${wider} km`;
  button.onclick = () => {
    document.getElementById("recherche-rayon").value = String(wider);
    searchForm.requestSubmit();
  };
}

bindForm(searchForm, {
  method: "GET",
  get path() {
    const data = formData(searchForm);
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(data)) if (value) query.set(key, value);
    return `/api/examens/recherche?${query}`;
  },
  body() { return undefined; },
  done(data, region) {
    lastResult = data;
    selectedCentre = null;
    document.getElementById("creneaux").hidden = true;
    document.getElementById("communes").hidden = true;
    if (!data.place) {
      document.getElementById("resultats").hidden = true;
      document.getElementById("elargir-bloc").hidden = true;
      offerTowns(data, region);
      return;
    }
    document.getElementById("resultats").hidden = false;
    // Leaflet measures its boxes: the map is built once it can be seen.
    mapReady = mapReady || centreMap.load();
    const where = `${data.place.name} (${data.place.departement_name})`;
    const radius = Math.round(data.radius_km);
    let text = data.centres.length
      ? `${data.centres.length} centre(s) à moins de ${radius} km de ${where}.`
      : `Aucune session à moins de ${radius} km de ${where} sur cette période.`;
    if (data.notice) text += ` ${data.notice}`;
    say(region, text, data.centres.length ? "succes" : "attente");
    offerWider(radius);
    renderCentres(data);
    mapReady.then(() => centreMap.show(data));
  },
  failed() {
    document.getElementById("communes").hidden = true;
    document.getElementById("elargir-bloc").hidden = true;
  },
});

// --- 3. Payment ----------------------------------------------------------------------
// One key per payment: a retry of the same payment (same card, no definite
// answer yet) reuses it and is charged once; a new payment gets a new key.
const paymentKey = new ActionKey();
const PAID = "Merci d'avoir effectué vos inscriptions sur notre site, Celles-ci sont maintenant effectives.";
const ABANDONED = "Ce paiement n'a pas abouti : aucun montant n'a été débité. Vos places restent dans le panier jusqu'à leur expiration : vous pouvez payer à nouveau.";
let verifying = null;  // the payment being verified with the provider

for (const radio of document.querySelectorAll("input[name=mode]")) {
  radio.addEventListener("change", () => {
    const sepa = document.querySelector("input[name=mode]:checked").value === "sepa";
    document.getElementById("champs-carte").hidden = sepa;
    document.getElementById("champs-sepa").hidden = !sepa;
  });
}

function documentLink(label, path, filename) {
  const li = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "lien";
  button.textContent = label;
  button.addEventListener("click", () => downloadFile(path, filename));
  li.append(button);
  document.getElementById("documents").append(li);
}

async function showDocuments(payment) {
  const list = document.getElementById("documents");
  list.replaceChildren();
  // Confirmation follows the payment by a moment: wait for it.
  for (let tries = 0; tries < 20; tries++) {
    const found = await api("GET", "/api/reservations");
    const paid = found.ok ? found.data.items.filter((r) => payment.reservation_ids.includes(r.id) && r.status === "confirmée") : [];
    if (paid.length === payment.reservation_ids.length) {
      showCart();  // the paid lines have left the cart now
      const payments = await api("GET", "/api/paiements");
      const row = payments.ok && payments.data.items.find((p) => p.id === payment.id && p.invoice_number);
      if (row) documentLink("Télécharger la facture", `/api/paiements/${payment.id}/facture`, "facture.pdf");
      for (const r of paid) {
        documentLink(`Télécharger la convocation de ${r.candidate_name}`, `/api/reservations/${r.id}/convocation`, "convocation.pdf");
      }
      return;
    }
    await new Promise((done) => setTimeout(done, 500));
  }
}

// The provider did not settle the payment: the platform asks it again by
// itself (PMC_PAYMENT_RECONCILE_SECONDS); meanwhile the page says so and looks
// at « Paiements » until the payment is paid or abandoned.
async function followVerification(payment, region) {
  say(region, payment.message, "attente");
  if (verifying === payment.id) return;  // already followed (a retry)
  verifying = payment.id;
  while (verifying === payment.id) {
    await new Promise((done) => setTimeout(done, 3000));
    const payments = await api("GET", "/api/paiements");
    const row = payments.ok && payments.data.items.find((p) => p.id === payment.id);
    if (!row || row.status === "en cours") continue;
    verifying = null;
    paymentKey.key = null;  // settled: the next payment is a new one
    if (row.status === "payé") {
      say(region, PAID, "succes");
      document.getElementById("form-paiement").reset();
      showDocuments(payment);
    } else {
      say(region, ABANDONED, "erreur");
    }
    showCart();
  }
}

// The card number goes to the payment provider only (its hosted fields, the
// simulator in development), which answers a token: the platform gets the
// token, never the number. The same number keeps its token, so a retry of
// the same payment is the same request (same key, charged once).
let card = { number: null, token: null };
const PROVIDER_AWAY = "Le prestataire de paiement ne répond pas : réessayez dans un instant.";

async function cardToken(number) {
  if (card.token && card.number === number) return card.token;
  const provider = await api("GET", "/api/paiement/carte/prestataire");
  if (!provider.ok) throw { message: provider.data.message || PROVIDER_AWAY };
  let answer;
  try {
    answer = await fetch(provider.data.tokenisation, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ numero: number }),
    });
  } catch {
    throw { message: PROVIDER_AWAY };
  }
  const data = await answer.json().catch(() => ({}));
  if (!answer.ok || !data.jeton) {
    const message = data.message || PROVIDER_AWAY;
    throw { message, fields: answer.status === 400 ? { carte: [message] } : undefined };
  }
  card = { number, token: data.jeton };
  return card.token;
}

async function paymentContent(form) {
  const sepa = document.querySelector("input[name=mode]:checked").value === "sepa";
  const base = { cgv: form.cgv.checked };
  return sepa
    ? { ...base, iban: form.iban.value, bic: form.bic.value, titulaire: form.titulaire.value }
    : { ...base, jeton: await cardToken(form.carte.value) };
}

bindForm(document.getElementById("form-paiement"), {
  get path() {
    const sepa = document.querySelector("input[name=mode]:checked").value === "sepa";
    return sepa ? "/api/paiement/sepa" : "/api/paiement/carte";
  },
  async body(form) {
    const content = await paymentContent(form);
    const mode = document.querySelector("input[name=mode]:checked").value;
    return { ...content, cle: paymentKey.for({ mode, ...content }) };
  },
  headers(payload) {
    return { "Idempotency-Key": payload.cle };  // the body's key, as a header too
  },
  failed(result) {
    // Declined, abandoned, refused: final for its key; no answer: kept.
    paymentKey.settle(result);
  },
  done(data, region) {
    if (data.status === "en cours") {
      followVerification(data, region);
      return;
    }
    paymentKey.settle({ status: 201 });
    say(region, data.message, "succes");
    document.getElementById("form-paiement").reset();
    showCart();
    showDocuments(data);
  },
});

requireAccount().then(async (found) => {
  if (!found) return;
  account = found;
  showCart();
});
