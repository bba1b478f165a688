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

let author = localStorage.getItem('gitty-author') ?? '';

/** Set the name saved as `author` of new versions (remembered in this browser). */
export function setAuthor(value) {
  author = value;
  if (value) localStorage.setItem('gitty-author', value);
  else localStorage.removeItem('gitty-author');
}

/** The author name currently used ('' for none). */
export function getAuthor() {
  return author;
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

/** The size in bytes of a version, from a HEAD request (no data is transferred). */
async function size(name) {
  const res = await fetch(`${file(name)}?format=raw`, { method: 'HEAD' });
  if (!res.ok) throw new ApiError(res.status, { code: res.status === 404 ? 'NOT_FOUND' : 'HTTP_ERROR', message: `HTTP ${res.status}` });
  return Number(res.headers.get('content-length') ?? 0);
}

export const api = {
  list: (query = {}) => request('GET', `/files?${new URLSearchParams(query)}`),
  size,
  /** The head commit without the data. */
  commitOf: async (name) => ({ commit: (await request('GET', `${file(name)}/history?depth=1`)).history[0] }),
  rawUrl: (name, version) => `${file(name)}?format=raw${version ? `&version=${version}` : ''}`,
  get: (name, version) => request('GET', `${file(name)}${version ? `?version=${version}` : ''}`),
  create: (name, data, meta) => request('POST', file(name), { data, meta }),
  update: (name, data, previous, meta) => request('PUT', file(name), { data, previous, meta }),
  remove: (name, previous) => request('DELETE', `${file(name)}?previous=${previous}`),
  history: (name, depth = 50) => request('GET', `${file(name)}/history?depth=${depth}`),
  diff: (from, to) => request('GET', `/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`),
};
