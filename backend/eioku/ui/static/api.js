// The REST API, with the optional API token (EIOKU_API_TOKEN).
// The page never keeps the token: it signs in once (POST /v1/session) and the
// server answers with an HttpOnly session cookie, which fetch, <video>, <track>,
// <img> and the event stream all carry.

export class ApiError extends Error {
  constructor(status, detail, position = null) {
    super(detail);
    this.status = status;
    this.position = position; // where a query could not be read (POST /v1/query's 422)
  }
}

let signingIn = null;

/** One prompt however many requests were refused at once. */
function signIn() {
  signingIn ??= askAndSignIn().finally(() => { signingIn = null; });
  return signingIn;
}

async function askAndSignIn() {
  const given = window.prompt("This Eioku server needs its API token (EIOKU_API_TOKEN):");
  if (!given) return false;
  const response = await fetch("/v1/session", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token: given.trim() }),
  });
  return response.ok;
}

/** fetch + JSON, errors as ApiError with the server's message. */
export async function api(path, { method = "GET", body, form, retry = true } = {}) {
  const headers = {};
  let payload;
  if (form) payload = form;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload });
  if (response.status === 401 && retry && await signIn()) {
    return api(path, { method, body, form, retry: false });
  }
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    let position = null;
    try {
      const data = await response.json();
      if (typeof data.detail === "string") detail = data.detail;
      else if (Array.isArray(data.detail)) detail = data.detail.map((d) => d.msg).join("; ");
      if (Number.isInteger(data.position)) position = data.position;
    } catch { /* not JSON */ }
    throw new ApiError(response.status, detail, position);
  }
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  return type.includes("json") ? response.json() : response.text();
}

export const q = (params) => {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") search.set(k, v);
  const s = search.toString();
  return s ? `?${s}` : "";
};
