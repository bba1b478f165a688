// The page's client of the gitty HTTP API (same origin). Errors carry the server's {code, message}.

/** An error answer from the server: `status`, `code`, `message` and the whole `body`. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code ?? 'HTTP_ERROR';
    this.body = body ?? {};
  }
}

let token = sessionStorage.getItem('gitty-token') ?? '';

/** Set the bearer token used for writes (kept for this browser tab only). */
export function setToken(value) {
  token = value;
  if (value) sessionStorage.setItem('gitty-token', value);
  else sessionStorage.removeItem('gitty-token');
}

/** The token currently used. */
export function getToken() {
  return token;
}

async function request(method, url, body) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 204) return undefined;
  const json = await res.json().catch(() => undefined);
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

const file = (name) => `/files/${encodeURIComponent(name)}`;

export const api = {
  list: () => request('GET', '/files'),
  get: (name, version) => request('GET', `${file(name)}${version ? `?version=${version}` : ''}`),
  create: (name, data, meta) => request('POST', file(name), { data, meta }),
  update: (name, data, previous, meta) => request('PUT', file(name), { data, previous, meta }),
  remove: (name, previous) => request('DELETE', `${file(name)}?previous=${previous}`),
  history: (name, depth = 50) => request('GET', `${file(name)}/history?depth=${depth}`),
  diff: (from, to) => request('GET', `/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`),
};
