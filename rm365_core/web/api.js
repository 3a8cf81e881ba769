// api.js — the REST client: bearer tokens, one shared refresh on 401, readable errors.

const REFRESH_KEY = 'rm365.refresh';
const REFRESH_PATH = '/api/v1/auth/refresh';

/** An HTTP error from the API, or status 0 when the server could not be reached. */
export class ApiError extends Error {
  constructor(message, { status = 0, detail = null, body = null, headers = null } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
    this.body = body;
    this.headers = headers;
  }
}

/** Turns FastAPI's `detail` (a string, or a list of pydantic errors) into one readable line. */
export function formatDetail(detail) {
  if (detail == null) return '';
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((item) => {
        if (typeof item === 'string') return item;
        // `loc` starts with where the value came from ("body", "query"); the rest names the field.
        const loc = Array.isArray(item?.loc)
          ? item.loc.filter((part, i) => !(i === 0 && ['body', 'query', 'path'].includes(part)))
          : [];
        const msg = item?.msg ?? JSON.stringify(item);
        return loc.length ? `${loc.join('.')}: ${msg}` : msg;
      })
      .join('; ');
  }
  if (typeof detail === 'object') return detail.message ?? detail.msg ?? JSON.stringify(detail);
  return String(detail);
}

/** The message to show a person for any error thrown by this client (or anything else). */
export function errorMessage(err) {
  if (err instanceof ApiError) return err.message;
  return err?.message || String(err);
}

// The access token lives in memory only, so a script injected later cannot read it from
// storage; the refresh token is in localStorage so that a page reload keeps the session.
let accessToken = null;
let refreshPromise = null;
const authLostListeners = new Set();

function storedRefreshToken() {
  try {
    return localStorage.getItem(REFRESH_KEY);
  } catch {
    return null; // storage disabled: the session then lasts as long as the page
  }
}

function storeTokens(data) {
  accessToken = data.access_token ?? null;
  try {
    if (data.refresh_token) localStorage.setItem(REFRESH_KEY, data.refresh_token);
  } catch {
    /* storage disabled */
  }
}

function clearTokens() {
  accessToken = null;
  try {
    localStorage.removeItem(REFRESH_KEY);
  } catch {
    /* storage disabled */
  }
}

function notifyAuthLost(reason) {
  for (const fn of authLostListeners) {
    try {
      fn(reason);
    } catch (err) {
      console.error(err);
    }
  }
}

async function readBody(response) {
  if (response.status === 204) return null;
  const text = await response.text();
  if (!text) return null;
  const type = response.headers.get('content-type') || '';
  if (type.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

async function send(method, path, body, headers, token) {
  const init = { method, headers: { Accept: 'application/json', ...headers }, credentials: 'same-origin' };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined && body !== null) {
    if (body instanceof FormData || body instanceof Blob || typeof body === 'string') {
      init.body = body;
    } else {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError('Cannot reach the server. Check your connection and try again.', {
      status: 0,
      detail: String(err),
    });
  }
  const data = await readBody(response);
  if (!response.ok) {
    const detail = data && typeof data === 'object' && 'detail' in data ? data.detail : null;
    const message =
      formatDetail(detail) ||
      (typeof data === 'string' && data.length < 200 ? data : '') ||
      `${response.status} ${response.statusText || 'Error'}`;
    throw new ApiError(message, { status: response.status, detail, body: data, headers: response.headers });
  }
  return data;
}

async function doRefresh() {
  const run = async () => {
    // Read the token inside the lock: another browser tab may just have rotated it.
    const refreshToken = storedRefreshToken();
    if (!refreshToken) throw new ApiError('Not signed in.', { status: 401 });
    try {
      const data = await send('POST', REFRESH_PATH, { refresh_token: refreshToken }, {}, null);
      storeTokens(data);
      return data;
    } catch (err) {
      // A refused refresh token is gone for good; a network error is not.
      if (err.status === 401 || err.status === 403) {
        clearTokens();
        notifyAuthLost('expired');
      }
      throw err;
    }
  };
  // Refresh tokens rotate, so two browser tabs refreshing with the same one at once could
  // look like token reuse to the server. A Web Lock serialises them where available.
  if (navigator.locks?.request) return navigator.locks.request('rm365.refresh', run);
  return run();
}

/** Gets a fresh access token; concurrent callers share one request. */
function refresh() {
  if (!refreshPromise) {
    refreshPromise = doRefresh().finally(() => {
      refreshPromise = null;
    });
  }
  return refreshPromise;
}

async function request(method, path, body, { headers = {}, auth = true } = {}) {
  if (!auth) return send(method, path, body, headers, null);
  if (!accessToken && refreshPromise) await refreshPromise.catch(() => {});
  const usedToken = accessToken;
  try {
    return await send(method, path, body, headers, usedToken);
  } catch (err) {
    if (err.status !== 401 || !storedRefreshToken()) throw err;
    // Another request may already have refreshed while this one was in flight.
    if (accessToken === usedToken || !accessToken) {
      try {
        await refresh();
      } catch {
        throw err;
      }
    }
    return send(method, path, body, headers, accessToken);
  }
}

export const api = {
  // get(path, opts) and get(path, body, opts) both work (a GET body is ignored), so every
  // method can be called as (path, body, {headers}).
  get: (path, ...rest) => request('GET', path, undefined, rest.length > 1 ? rest[1] : rest[0]),
  post: (path, body, opts) => request('POST', path, body, opts),
  put: (path, body, opts) => request('PUT', path, body, opts),
  patch: (path, body, opts) => request('PATCH', path, body, opts),
  delete: (path, body, opts) => request('DELETE', path, body, opts),
  request,
  refresh,

  /** The current access token (memory only), e.g. for the realtime connection. */
  get accessToken() {
    return accessToken;
  },

  /** True when a refresh token is stored, i.e. a reload may resume a session. */
  hasSession() {
    return Boolean(storedRefreshToken());
  },

  async login(username, password) {
    const data = await send('POST', '/api/v1/auth/login', { username, password }, {}, null);
    storeTokens(data);
    return data;
  },

  /** Revokes the session on the server (best effort), then forgets both tokens either way. */
  async logout() {
    try {
      // The server wants a valid access token with the refresh token, so an expired access
      // token is renewed first; otherwise the refresh token would stay usable.
      if (!accessToken && storedRefreshToken()) await refresh();
      const body = () => ({ refresh_token: storedRefreshToken() });
      try {
        await send('POST', '/api/v1/auth/logout', body(), {}, accessToken);
      } catch (err) {
        if (err.status !== 401 || !storedRefreshToken()) throw err;
        await refresh();
        await send('POST', '/api/v1/auth/logout', body(), {}, accessToken);
      }
    } catch (err) {
      console.warn('logout request failed', err);
    } finally {
      clearTokens();
    }
  },

  /** Calls `fn(reason)` when the session is lost (refresh refused, or logout in another tab). */
  onAuthLost(fn) {
    authLostListeners.add(fn);
    return () => authLostListeners.delete(fn);
  },
};

// Another browser tab logged out (it removed the refresh token): follow it.
window.addEventListener('storage', (event) => {
  const removed = event.key === null || (event.key === REFRESH_KEY && event.newValue === null);
  if (removed && accessToken) {
    accessToken = null;
    notifyAuthLost('logout');
  }
});
