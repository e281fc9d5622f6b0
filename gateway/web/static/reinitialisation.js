const link = linkParams();
bindForm(document.getElementById("form-reinit"), {
  path: "/api/mot-de-passe/reinitialisation",
  check(form) {
    if (form.password.value !== form.confirmation.value) {
      return { confirmation: ["Les deux mots de passe ne sont pas identiques."] };
    }
    return null;
  },
  body(form) {
    return { compte: link.get("compte") || "", jeton: link.get("jeton") || "", password: form.password.value };
  },
  failed(result, region) {
    // A used, expired or mistyped link: say where to ask for a new one.
    if (result.data.code === "lien_invalide" || result.data.code === "lien_expire") {
      sayWithLink(region, result.data.message, "erreur", "Demander un nouveau lien", "/mot-de-passe-oublie");
    }
  },
});
