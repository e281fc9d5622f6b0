// The candidate's own session (ID-6): its token is kept apart from a school's,
// under its own key, and sent only to the candidate's routes.
"use strict";

const CANDIDATE_TOKEN_KEY = "pmc-jeton-candidat";

const candidateSession = {
  token: () => sessionStorage.getItem(CANDIDATE_TOKEN_KEY),
  save: (token) => sessionStorage.setItem(CANDIDATE_TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(CANDIDATE_TOKEN_KEY),
};

// Like `api`, with the candidate's token instead of the school's.
async function candidateApi(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const token = candidateSession.token();
  if (token) headers.Authorization = `Bearer ${token}`;
  loading(1);
  try {
    const response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({ message: "Réponse inattendue du service. Réessayez plus tard." }));
    return { ok: response.ok, status: response.status, data };
  } catch (err) {
    return { ok: false, status: 0, data: { message: "Le service est injoignable. Vérifiez votre connexion et réessayez." } };
  } finally {
    loading(-1);
  }
}

// A PDF the candidate's routes serve: fetched with the token, then saved.
async function candidateDownload(path, filename) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${candidateSession.token()}` } });
  if (!response.ok) {
    const data = await response.json().catch(() => ({}));
    return data.message || "Le fichier n'a pas pu être téléchargé. Réessayez.";
  }
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = filename;
  link.click();
  return "";
}
