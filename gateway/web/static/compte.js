function fill(account) {
  const form = document.getElementById("profil");
  for (const name of ["civility", "last_name", "first_name", "phone", "company_name", "siret"]) {
    form.elements[name].value = account[name] || "";
  }
  for (const el of document.querySelectorAll("[data-compte]")) el.textContent = account[el.dataset.compte] || "";
}
requireAccount().then((account) => { if (account) fill(account); });
bindForm(document.getElementById("profil"), {
  method: "PATCH",
  path: "/api/compte",
  done(data, region) {
    fill(data);
    say(region, "Vos informations ont été enregistrées.", "succes");
  },
});
bindForm(document.getElementById("mot-de-passe"), {
  path: "/api/compte/mot-de-passe",
  done(data, region) {
    session.save(data.token);
    document.getElementById("mot-de-passe").reset();
    say(region, data.message, "succes");
  },
});
