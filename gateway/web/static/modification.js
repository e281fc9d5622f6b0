// Réservations › Modifier (BO-6): another slot for a paid reservation, found
// with the search and the map the Inscription page uses, chosen, confirmed,
// then moved.
"use strict";

const MAX_RADIUS_KM = 1000;
const slotTime = new Intl.DateTimeFormat("fr-FR", {
  weekday: "long", day: "numeric", month: "long", year: "numeric",
  hour: "2-digit", minute: "2-digit", timeZone: "Europe/Paris",
});

class SlotChange {
  // onDone(row, message): the API's answer, once the reservation has moved.
  constructor(onDone) {
    this.onDone = onDone;
    this.reservation = null;  // the row being changed
    this.found = null;  // the last search's answer
    this.centre = null;  // the centre whose slots are shown
    this.keys = new Map();  // reservation id → its change's ActionKey
    this.busy = false;
    this.panel = document.getElementById("modification");
    this.form = document.getElementById("recherche-modification");
    this.region = document.getElementById("modification-message");
    this.map = new CentreMap(document.getElementById("modification-carte"), (id) => this.showSlots(id));
    this.mapReady = null;  // Leaflet measures its box: built once it can be seen
    this.bindSearch();
    document.getElementById("modification-abandon").addEventListener("click", () => {
      const opener = this.opener;
      this.close();
      // Back to the « Modifier » it came from, not to the top of the page.
      if (opener && opener.isConnected) opener.focus();
    });
    // A new town typed: forget which homonym and how far was chosen for the last one.
    document.getElementById("modification-lieu").addEventListener("input", () => {
      document.getElementById("modification-commune").value = "";
      document.getElementById("modification-rayon").value = "";
    });
  }

  open(reservation) {
    this.reservation = reservation;
    this.opener = document.activeElement;
    this.found = null;
    this.centre = null;
    this.form.reset();
    // Hidden fields keep their value through a reset: a new search starts afresh.
    document.getElementById("modification-commune").value = "";
    document.getElementById("modification-rayon").value = "";
    say(this.region, "", "succes");
    for (const id of ["modification-communes", "modification-creneaux", "modification-resultats", "modification-elargir-bloc"]) {
      document.getElementById(id).hidden = true;
    }
    document.getElementById("modification-centres").replaceChildren();
    document.getElementById("titre-modification").textContent = `Modifier la réservation de ${reservation.candidate_name}`;
    document.getElementById("modification-actuel").textContent =
      `Créneau actuel : ${slotTime.format(new Date(reservation.exam_starts_at))} — ${reservation.centre_name} (${reservation.centre_city}). Cherchez un autre créneau puis choisissez-le.`;
    // The town of the current centre: the nearest slots first.
    document.getElementById("modification-lieu").value = reservation.centre_city;
    this.panel.hidden = false;
    document.getElementById("titre-modification").focus();
  }

  close() {
    this.reservation = null;
    this.panel.hidden = true;
  }

  bindSearch() {
    const change = this;
    bindForm(this.form, {
      method: "GET",
      get path() {
        const query = new URLSearchParams();
        for (const [key, value] of Object.entries(formData(change.form))) if (value) query.set(key, value);
        return `/api/examens/recherche?${query}`;
      },
      body() { return undefined; },
      done(data, region) { change.showResult(data, region); },
      failed() {
        document.getElementById("modification-communes").hidden = true;
        document.getElementById("modification-elargir-bloc").hidden = true;
      },
    });
  }

  showResult(data, region) {
    this.found = data;
    this.centre = null;
    document.getElementById("modification-creneaux").hidden = true;
    document.getElementById("modification-communes").hidden = true;
    document.getElementById("modification-centres").replaceChildren();
    if (!data.place) {
      document.getElementById("modification-resultats").hidden = true;
      document.getElementById("modification-elargir-bloc").hidden = true;
      this.offerTowns(data, region);
      return;
    }
    document.getElementById("modification-resultats").hidden = false;
    this.mapReady = this.mapReady || this.map.load();
    const where = `${data.place.name} (${data.place.departement_name})`;
    const radius = Math.round(data.radius_km);
    let text = data.centres.length
      ? `${data.centres.length} centre(s) à moins de ${radius} km de ${where} : choisissez un centre.`
      : `Aucune session à moins de ${radius} km de ${where} sur cette période.`;
    if (data.notice) text += ` ${data.notice}`;
    say(region, text, data.centres.length ? "succes" : "attente");
    this.offerWider(radius);
    this.showCentres(data.centres);
    this.mapReady.then(() => this.map.show(data));
  }

  offerWider(radius) {
    document.getElementById("modification-elargir-bloc").hidden = radius >= MAX_RADIUS_KM;
    const wider = Math.min(radius * 2, MAX_RADIUS_KM);
    const button = document.getElementById("modification-elargir");
    button.textContent = `Élargir la recherche à ${wider} km`;
    button.onclick = () => {
      document.getElementById("modification-rayon").value = String(wider);
      this.form.requestSubmit();
    };
  }

  // Towns sharing the name typed: the school says which one.
  offerTowns(data, region) {
    const list = document.getElementById("modification-communes");
    list.replaceChildren();
    say(region, `Plusieurs communes s'appellent « ${data.choices[0].name} » : laquelle ?`, "attente");
    for (const choice of data.choices) {
      const button = this.button(`${choice.name} — ${choice.departement_name} (${choice.departement})`, null, "secondaire", () => {
        document.getElementById("modification-commune").value = choice.commune;
        this.form.requestSubmit();
      });
      const li = document.createElement("li");
      li.append(button);
      list.append(li);
    }
    list.hidden = false;
    list.querySelector("button").focus();
  }

  showCentres(centres) {
    const list = document.getElementById("modification-centres");
    for (const centre of centres) {
      const li = document.createElement("li");
      li.dataset.centre = centre.id;
      li.append(this.button(
        `${centre.name} (${centre.city}) — ${centre.distance_km} km — ${centre.free_seats} places libres${centre.pmr ? " — accès PMR" : ""}`,
        null, "lien", () => this.showSlots(centre.id),
      ));
      list.append(li);
    }
  }

  showSlots(centreId) {
    const centre = this.found.centres.find((c) => c.id === centreId);
    this.centre = centre;
    this.map.choose(centreId);
    const title = document.getElementById("titre-modification-creneaux");
    title.textContent = `Créneaux — ${centre.name}`;
    document.getElementById("modification-adresse").textContent =
      `${centre.address}, ${centre.postal_code} ${centre.city}${centre.opening_hours ? ` — ${centre.opening_hours}` : ""}`;
    this.renderSlots();
    document.getElementById("modification-creneaux").hidden = false;
    title.focus();
  }

  renderSlots() {
    const list = document.getElementById("modification-liste");
    list.replaceChildren();
    const who = this.reservation.candidate_name;
    for (const slot of this.centre.sessions) {
      const when = slotTime.format(new Date(slot.starts_at));
      const li = document.createElement("li");
      li.dataset.session = slot.id;
      const current = slot.id === this.reservation.session_id;
      li.append(`${when} — session ${slot.kind} — ${slot.free_seats} place(s) libre(s)${current ? " — créneau actuel" : ""} `);
      const choose = this.button("Choisir ce créneau", `Choisir ce créneau pour ${who} : ${when}`, "", () => this.confirm(slot));
      choose.disabled = this.busy || current || slot.free_seats < 1;
      li.append(choose);
      list.append(li);
    }
  }

  async confirm(slot) {
    const r = this.reservation;
    const when = slotTime.format(new Date(slot.starts_at));
    const sure = await confirmAction(
      `Déplacer l'examen de ${r.candidate_name} au ${when}, ${this.centre.name} (${this.centre.city}) ? `
      + "Sa place actuelle sera libérée et une nouvelle convocation lui sera envoyée.",
      "Confirmer la modification",
    );
    if (sure) await this.move(r, slot);
  }

  async move(reservation, slot) {
    if (this.busy) return;
    this.busy = true;
    this.renderSlots();
    if (!this.keys.has(reservation.id)) this.keys.set(reservation.id, new ActionKey());
    const result = await keyedApi(this.keys.get(reservation.id), "POST",
      `/api/reservations/${reservation.id}/modification`, { session_id: slot.id });
    this.busy = false;
    if (!result.ok) {
      say(this.region, result.data.message || "Une erreur est survenue.", "erreur");
      this.renderSlots();
      return;
    }
    this.close();
    this.onDone(result.data,
      `Créneau de ${reservation.candidate_name} modifié : ${slotTime.format(new Date(result.data.exam_starts_at))}, ${result.data.centre_name} (${result.data.centre_city}). Une nouvelle convocation lui est envoyée.`);
  }

  button(label, name, className, onClick) {
    const button = document.createElement("button");
    button.type = "button";
    if (className) button.className = className;
    button.textContent = label;
    if (name) button.setAttribute("aria-label", name);
    button.addEventListener("click", onClick);
    return button;
  }
}
