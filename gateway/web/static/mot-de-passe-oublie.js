bindForm(document.getElementById("form-oubli"), { path: "/api/mot-de-passe/oubli" });
