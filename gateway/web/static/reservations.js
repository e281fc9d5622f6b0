const when = new Intl.DateTimeFormat("fr-FR", { dateStyle: "full", timeStyle: "short", timeZone: "Europe/Paris" });
async function showReservations() {
  const form = document.getElementById("recherche-reservations");
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(formData(form))) if (value) query.set(key, value);
  const result = await api("GET", `/api/reservations?${query}`);
  const region = document.getElementById("reservations-message");
  const body = document.querySelector("#reservations tbody");
  body.replaceChildren();
  if (!result.ok) { say(region, result.data.message, "erreur"); return; }
  say(region, result.data.items.length ? "" : "Aucune réservation.", "succes");
  for (const r of result.data.items) {
    const tr = document.createElement("tr");
    tr.dataset.reservation = r.id;
    for (const text of [r.candidate_name, r.neph, when.format(new Date(r.exam_starts_at)), `${r.centre_name} (${r.centre_city})`, r.status]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    body.append(tr);
  }
}
document.getElementById("recherche-reservations").addEventListener("submit", (e) => { e.preventDefault(); showReservations(); });
requireAccount().then((account) => { if (account) showReservations(); });
