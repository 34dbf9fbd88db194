// The REST API (README "REST API (v1)"). Errors come back as {"error": "..."}:
// they are thrown as ApiError carrying the server's own words, to show as they are.
//
// Credentials: none in this file. The browser sends the brain_session cookie (HttpOnly,
// SameSite=Strict, set by POST /api/session) with every same-origin request by itself.
// A 401 from anything but /api/session means the session ended (expired, token revoked):
// the handler set with onUnauthorized() is told, once per answer.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

let unauthorized = null;

/** fn(ApiError) is called when a call other than /api/session answers 401. */
export function onUnauthorized(fn) {
  unauthorized = fn;
}

async function call(method, path, body) {
  const init = { method, headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'The server cannot be reached. Is it running?');
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (e) {
    data = null;
  }
  if (!response.ok) {
    const message = data && typeof data.error === 'string' ? data.error : `${response.status} ${response.statusText}`.trim();
    const error = new ApiError(response.status, message);
    if (response.status === 401 && unauthorized && !path.startsWith('/api/session')) unauthorized(error);
    throw error;
  }
  return data;
}

const enc = encodeURIComponent;

/**
 * Uploads one .npy file as POST /api/matrices with XMLHttpRequest, the one browser API that
 * reports upload progress: onProgress(sentBytes, totalBytes). The body is the File itself (the
 * browser streams it from disk). Returns {promise, abort}; the promise gives the server's
 * {id, rows, cols, bytes, sha256} (201 stored, 200 already there) or throws ApiError with the
 * server's own words.
 */
export function uploadMatrix(file, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open('POST', '/api/matrices');
    xhr.setRequestHeader('content-type', 'application/x-npy');
    xhr.setRequestHeader('accept', 'application/json');
    xhr.responseType = 'text';
    xhr.upload.addEventListener('progress', (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size));
    xhr.addEventListener('load', () => {
      let data = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch (e) {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300 && data && typeof data.id === 'string') {
        resolve({ ...data, status: xhr.status });
        return;
      }
      const message = data && typeof data.error === 'string' ? data.error
        : xhr.status === 413 ? 'The file is larger than this grid accepts (413).'
          : `${xhr.status} ${xhr.statusText}`.trim();
      const error = new ApiError(xhr.status, message);
      if (xhr.status === 401 && unauthorized) unauthorized(error);
      reject(error);
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'The upload was cut off: the server cannot be reached.')));
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'Upload cancelled.')));
    xhr.send(file);
  });
  return { promise, abort: () => xhr.abort() };
}

export const api = {
  submit: (jsonText) => call('POST', '/api/jobs', jsonText),
  matrices: () => call('GET', '/api/matrices'),
  job: (id) => call('GET', `/api/jobs/${enc(id)}`),
  jobs: (limit = 20, offset = 0) => call('GET', `/api/jobs?limit=${limit}&offset=${offset}`),
  replay: (id) => call('POST', `/api/jobs/${enc(id)}/replay`),
  cancel: (id) => call('DELETE', `/api/jobs/${enc(id)}`),
  timeline: (id) => call('GET', `/api/jobs/${enc(id)}/timeline`),
  preview: (id, size) => call('GET', `/api/jobs/${enc(id)}/result/preview?size=${size}`),
  workers: () => call('GET', '/api/workers'),
  leaderboard: (limit = 10) => call('GET', `/api/leaderboard?limit=${limit}`),
  health: () => call('GET', '/api/health'),
  // Signing in: the token goes to the server once; the answer sets the HttpOnly cookie.
  session: () => call('GET', '/api/session'),
  signIn: (token) => call('POST', '/api/session', { token }),
  signOut: () => call('DELETE', '/api/session'),
  // Admin only.
  tokens: () => call('GET', '/api/tokens'),
  createToken: (name, role) => call('POST', '/api/tokens', { name, role }),
  revokeToken: (name) => call('DELETE', `/api/tokens/${enc(name)}`),
};
