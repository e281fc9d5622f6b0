const day = new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeZone: "Europe/Paris" });
// « impayé » says why: the bank's reason for returning the debit.
function statusText(p) {
  if (p.status === "en cours") return "en cours de vérification";
  return p.reason && p.status === "impayé" ? `impayé : ${p.reason}` : p.status;
}
async function showPayments() {
  const result = await api("GET", "/api/paiements");
  const region = document.getElementById("paiements-message");
  const body = document.querySelector("#paiements tbody");
  body.replaceChildren();
  if (!result.ok) { say(region, result.data.message, "erreur"); return; }
  say(region, result.data.items.length ? "" : "Aucun paiement.", "succes");
  for (const p of result.data.items) {
    const tr = document.createElement("tr");
    for (const text of [day.format(new Date(p.created_at)), p.method === "sepa" ? "Prélèvement SEPA" : "Carte bancaire", String(p.seats), money.format(p.amount_cents / 100), statusText(p)]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    const cell = document.createElement("td");
    if (p.invoice_number) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "lien";
      button.textContent = "Télécharger la facture";
      // One name per row for screen readers: the invoice's number and date.
      button.setAttribute("aria-label", `Télécharger la facture ${p.invoice_number} du ${day.format(new Date(p.created_at))}`);
      button.addEventListener("click", () => downloadFile(`/api/paiements/${p.id}/facture`, "facture.pdf"));
      cell.append(button);
    }
    tr.append(cell);
    body.append(tr);
  }
}
document.getElementById("export-paiements").addEventListener("click", async () => {
  const failed = await downloadFile("/api/paiements/export", "paiements.csv");
  if (failed) say(document.getElementById("paiements-message"), failed, "erreur");
});
requireAccount().then((account) => { if (account) showPayments(); });
