// The REST API (README "REST API (v1)"). Errors come back as {"error": "..."}:
// they are thrown as ApiError carrying the server's own words, to show as they are.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
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
    throw new ApiError(response.status, message);
  }
  return data;
}

const enc = encodeURIComponent;

export const api = {
  submit: (jsonText) => call('POST', '/api/jobs', jsonText),
  job: (id) => call('GET', `/api/jobs/${enc(id)}`),
  jobs: (limit = 20, offset = 0) => call('GET', `/api/jobs?limit=${limit}&offset=${offset}`),
  replay: (id) => call('POST', `/api/jobs/${enc(id)}/replay`),
  cancel: (id) => call('DELETE', `/api/jobs/${enc(id)}`),
  timeline: (id) => call('GET', `/api/jobs/${enc(id)}/timeline`),
  preview: (id, size) => call('GET', `/api/jobs/${enc(id)}/result/preview?size=${size}`),
  workers: () => call('GET', '/api/workers'),
  leaderboard: (limit = 10) => call('GET', `/api/leaderboard?limit=${limit}`),
  health: () => call('GET', '/api/health'),
};
