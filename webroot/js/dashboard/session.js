// Who is signed in. Imported first by main.js: evaluating this module takes a `?token=` out
// of the address bar at once (history.replaceState), before any other module runs, any
// request goes out or anything is drawn. (The server also answers every page with
// Referrer-Policy: no-referrer, so the address never travels in a Referer either.)
//
// Where the token lives: nowhere in the page. It is posted once to POST /api/session, whose
// answer sets the brain_session cookie (HttpOnly: no script, ours or injected, can read it;
// SameSite=Strict: no other site's page can make the browser send it). The browser then sends
// it with every same-origin request and with the event-bus socket's upgrade request.
//
// Since the page cannot see that cookie, it keeps a hint in localStorage ("a session may
// exist": no name, no token) so that a visitor who never signed in gets the public view without
// a GET /api/session that would answer 401 (and show up as an error in the console).

import { api } from './api.js';

const HINT = 'brain.signedIn';

/** The token the page was opened with (`?token=`), already gone from the address bar; or null. */
function takeToken() {
  let url;
  try {
    url = new URL(location.href);
  } catch (e) {
    return null;
  }
  if (!url.searchParams.has('token')) return null;
  const token = url.searchParams.get('token');
  url.searchParams.delete('token');
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  return token;
}

let pendingToken = takeToken();

function hinted() {
  try {
    return localStorage.getItem(HINT) === '1';
  } catch (e) {
    return true; // storage blocked: ask the server (worst case, one 401)
  }
}

function remember() {
  try { localStorage.setItem(HINT, '1'); } catch (e) { /* private mode */ }
}

export function forget() {
  try { localStorage.removeItem(HINT); } catch (e) { /* private mode */ }
}

const NOTICE = 'brain.signin.notice';

/** A sentence for the sign-in form after the next load (the session ended, signed out ...). */
export function noticeForNextLoad(text) {
  try { sessionStorage.setItem(NOTICE, text); } catch (e) { /* not shown then */ }
}

function takeNotice() {
  try {
    const text = sessionStorage.getItem(NOTICE);
    sessionStorage.removeItem(NOTICE);
    return text;
  } catch (e) {
    return null;
  }
}

function validSession(s) {
  return s && typeof s.name === 'string' && (s.role === 'admin' || s.role === 'requestor');
}

/**
 * The session to show: {session: {name, role} | null, error?: text (for the sign-in form),
 * notice?: text}. Signs in with the address's token if there was one.
 */
export async function resolveSession() {
  const notice = takeNotice();
  if (pendingToken !== null) {
    const token = pendingToken;
    pendingToken = null;
    if (!token.trim()) return { session: null, error: 'The link carried an empty token.' };
    try {
      const session = await api.signIn(token.trim());
      if (!validSession(session)) throw new Error('the server answered without a name and role');
      remember();
      return { session };
    } catch (err) {
      return { session: null, error: err.status === 401
        ? `The token in the link was not accepted (${err.message}). It may be mistyped or revoked.`
        : `Could not sign in with the link's token: ${err.message}` };
    }
  }
  if (!hinted()) return { session: null, notice };
  try {
    const session = await api.session();
    if (!validSession(session)) throw new Error('the server answered without a name and role');
    return { session };
  } catch (err) {
    if (err.status === 401) {
      forget();
      return { session: null, notice: notice || 'Your session has ended. Sign in again to see your jobs.' };
    }
    return { session: null, error: `Could not check the sign-in: ${err.message}` };
  }
}

/** Signs in with a typed token: resolves to the session, or rejects with the server's reason. */
export async function signIn(token) {
  const session = await api.signIn(token);
  if (!validSession(session)) throw new Error('the server answered without a name and role');
  remember();
  return session;
}

export async function signOut() {
  try {
    await api.signOut();
  } catch (err) {
    if (err.status !== 401) throw err; // 401: already signed out
  }
  forget();
}
