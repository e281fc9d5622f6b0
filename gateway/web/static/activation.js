(async () => {
  const region = document.getElementById("activation-message");
  const link = linkParams();
  if (params().has("renvoi")) {  // asked from the sign-in page: no link to check
    say(region, "Saisissez l'adresse e-mail de votre compte pour recevoir un nouveau lien d'activation.", "attente");
    document.getElementById("renvoi").hidden = false;
    return;
  }
  const result = await api("POST", "/api/comptes/activation", {
    compte: link.get("compte") || "",
    jeton: link.get("jeton") || "",
  });
  if (result.ok) {
    say(region, result.data.message, "succes");
    document.getElementById("vers-connexion").hidden = false;
  } else {
    say(region, result.data.message, "erreur");
    document.getElementById("renvoi").hidden = false;
  }
})();
bindForm(document.getElementById("form-renvoi"), { path: "/api/comptes/activation/renvoi" });
