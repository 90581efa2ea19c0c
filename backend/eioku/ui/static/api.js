// The REST API, with the optional API token (EIOKU_API_TOKEN).
// The token is kept in a cookie so <video>, <track> and <img> requests carry it too.

const COOKIE = "eioku_token";

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

function token() {
  const match = document.cookie.match(/(?:^|;\s*)eioku_token=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : null;
}

function askForToken() {
  const given = window.prompt("This Eioku server needs its API token (EIOKU_API_TOKEN):");
  if (!given) return false;
  document.cookie = `${COOKIE}=${encodeURIComponent(given.trim())}; path=/; SameSite=Strict`;
  return true;
}

/** fetch + JSON, errors as ApiError with the server's message. */
export async function api(path, { method = "GET", body, form, retry = true } = {}) {
  const headers = {};
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  let payload;
  if (form) payload = form;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload });
  if (response.status === 401 && retry && askForToken()) {
    return api(path, { method, body, form, retry: false });
  }
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    try {
      const data = await response.json();
      if (typeof data.detail === "string") detail = data.detail;
      else if (Array.isArray(data.detail)) detail = data.detail.map((d) => d.msg).join("; ");
    } catch { /* not JSON */ }
    throw new ApiError(response.status, detail);
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
