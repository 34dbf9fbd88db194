// The top bar's account (who is signed in, Sign out) and the sign-in form of the public view.
//
// Signing in or out reloads the page: the event-bus socket is opened anew, so its upgrade
// request carries the new cookie (or none), and nothing of the previous person's jobs stays
// in the page's memory.

import { $, setText } from './dom.js';
import { signIn, signOut, forget, noticeForNextLoad } from './session.js';
import { onUnauthorized } from './api.js';
import { toast } from './toast.js';

const ROLE_WORDS = {
  admin: 'admin · all jobs, tokens',
  requestor: 'requestor · your jobs',
};

/** Reloads without the hash (a job id belongs to the person who was signed in). */
function reloadPublic() {
  location.replace(location.pathname);
}

/** Shows the page for `session` ({name, role} or null) and wires the account controls. */
export function initAccount(session, { error, notice } = {}) {
  const body = document.body;
  body.dataset.auth = session ? 'signed-in' : 'public';
  body.dataset.role = session ? session.role : '';
  for (const node of document.querySelectorAll('[data-needs]')) {
    const needs = node.dataset.needs;
    node.hidden = needs === 'public' ? !!session : needs === 'admin' ? !(session && session.role === 'admin') : !session;
  }
  $('account').hidden = false;
  $('account-who').hidden = !session;
  $('sign-out').hidden = !session;
  $('sign-in-jump').hidden = !!session;
  if (session) {
    setText($('account-name'), session.name);
    $('account-name').title = session.name;
    const role = $('account-role');
    role.dataset.role = session.role;
    setText(role, session.role);
    role.title = ROLE_WORDS[session.role] || session.role;
    $('account-who').setAttribute('aria-label', `Signed in as ${session.name}, ${session.role}`);
    $('sign-out').addEventListener('click', () => doSignOut(session));
    let gone = false;
    onUnauthorized(() => {
      // The cookie stopped working (token revoked, session expired): back to the public view.
      if (gone) return;
      gone = true;
      forget();
      noticeForNextLoad('Your session has ended (the token may have been revoked). Sign in again.');
      reloadPublic();
    });
  } else {
    initSignInForm(error, notice);
    $('sign-in-jump').addEventListener('click', () => {
      $('signin').scrollIntoView({ block: 'nearest' });
      $('signin-token').focus();
    });
  }
}

async function doSignOut(session) {
  const button = $('sign-out');
  button.disabled = true;
  try {
    await signOut();
    noticeForNextLoad(`Signed out${session && session.name ? ` (${session.name})` : ''}.`);
    reloadPublic();
  } catch (err) {
    button.disabled = false;
    toast(`Could not sign out: ${err.message}`, 'error');
  }
}

function initSignInForm(error, notice) {
  const form = $('signin-form');
  const input = $('signin-token');
  const button = $('signin-button');
  if (error) showError(error);
  if (notice) {
    setText($('signin-notice'), notice);
    $('signin-notice').hidden = false;
  }
  input.addEventListener('input', () => {
    input.removeAttribute('aria-invalid');
    $('signin-error').hidden = true;
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const token = input.value.trim();
    $('signin-notice').hidden = true;
    if (!token) {
      showError('Paste your access token first.');
      input.focus();
      return;
    }
    button.disabled = true;
    setText(button, 'Signing in…');
    try {
      await signIn(token);
      input.value = '';
      location.reload();
    } catch (err) {
      button.disabled = false;
      setText(button, 'Sign in');
      showError(err.status === 401
        ? `That token was not accepted (${err.message.replace(/\.$/, '')}). Check that it was copied whole.`
        : `Could not sign in: ${err.message}`);
      input.select();
    }
  });
}

function showError(text) {
  const box = $('signin-error');
  setText(box, text);
  box.hidden = false;
  $('signin-token').setAttribute('aria-invalid', 'true');
}
