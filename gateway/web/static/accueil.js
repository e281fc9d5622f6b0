bindForm(document.getElementById("inscription"), {
  path: "/api/comptes",
  idempotent: true,
  done(data, region) {
    say(region, data.message, "succes");
    document.getElementById("inscription").reset();
  },
});
bindForm(document.getElementById("form-connexion"), {
  path: "/api/sessions",
  check(form) {
    if (!form.querySelector("[name=espace]").checked) {
      return { espace: ["Cochez « Professionnel » pour accéder à l'espace des auto-écoles."] };
    }
    return null;
  },
  done(data) {
    session.save(data.token);
    window.location.assign("/espace");
  },
  failed(result, region) {
    // Say what to do next, with the link to do it.
    if (result.data.code === "trop_de_demandes") {
      sayWithLink(region, result.data.message, "erreur", "Réinitialiser mon mot de passe", "/mot-de-passe-oublie");
    } else if (result.data.code === "compte_non_active") {
      sayWithLink(region, result.data.message, "erreur", "Demander un nouveau lien d'activation", "/activation?renvoi=1");
    }
  },
});
const notice = takeSignInNotice();
if (notice) say(document.getElementById("connexion-message"), notice, "attente");
