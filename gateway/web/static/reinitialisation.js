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
});
