// The console's shell: a hash router (#/cluster, #/connectors, #/connectors/<name>, #/new, #/edit/<name>), the
// sign-in form, and polling. Live pages are redrawn on every poll; the focused control and open <details> survive it.
import { ApiError, NeedsCredential, authorization, signIn, signInWithToken, signOut, signedInAs } from './api.js';
import { h, notice, show } from './dom.js';
import { MetricsHistory } from './metrics.js';
import { clusterPage } from './pages/cluster.js';
import { connectorsPage } from './pages/connectors.js';
import { detailPage } from './pages/detail.js';
import { formPage } from './pages/form.js';

const POLL_MS = 3000;
const view = document.getElementById('view');
const ctx = { view, history: new MetricsHistory(), go, refresh: () => tick(true) };

const ROUTES = [
  [/^#\/cluster$/, clusterPage],
  [/^#\/connectors$/, connectorsPage],
  [/^#\/connectors\/([^/]+)$/, detailPage],
  [/^#\/new$/, formPage],
  [/^#\/edit\/([^/]+)$/, formPage],
];

let current; // { page, params, key }
let timer;
let running = false;
let pending = false; // a navigation arrived while a draw was under way: draw again when it ends

function go(hash) {
  if (location.hash === hash) void route();
  else location.hash = hash;
}

function match() {
  const hash = location.hash || '#/connectors';
  for (const [re, page] of ROUTES) {
    const m = re.exec(hash);
    if (m) return { page, params: m.slice(1).map(decodeURIComponent), key: hash };
  }
  return { page: connectorsPage, params: [], key: '#/connectors' };
}

function markNav() {
  for (const a of document.querySelectorAll('header nav a')) {
    const here = (location.hash || '#/connectors').startsWith(a.getAttribute('href'));
    if (here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function route() {
  current = match();
  markNav();
  // The previous page's buttons must not stay clickable while the next page loads: they act on another connector.
  show(view, h('p', {}, 'Loading…'));
  await tick(true);
  view.focus({ preventScroll: true });
}

/** Draws the current page; `first` is a navigation, otherwise a poll (only live pages redraw). */
async function tick(first = false) {
  if (!current) return;
  if (running) {
    pending ||= first;
    return;
  }
  if (!first && !current.page.live) return;
  running = true;
  const { key } = current;
  const focusedId = document.activeElement?.id;
  const open = [...view.querySelectorAll('details[open][id]')].map((d) => d.id);
  try {
    const nodes = await current.page.render(ctx, current.params, first);
    if (key !== current.key) return; // navigated away meanwhile
    if (nodes !== undefined) {
      if (first) show(view, nodes);
      else patch(view, nodes);
      for (const id of open) document.getElementById(id)?.setAttribute('open', '');
      if (focusedId) document.getElementById(focusedId)?.focus({ preventScroll: true });
    }
    updateWho();
  } catch (err) {
    if (err instanceof NeedsCredential) showSignIn(authorization() ? 'Those credentials were refused.' : undefined);
    else if (first) show(view, h('h1', {}, 'Error'), h('p', { class: 'error', role: 'alert' }, message(err)));
    else notice(message(err), 'error');
  } finally {
    running = false;
    if (pending) {
      pending = false;
      void tick(true);
    }
  }
}

/**
 * A poll's redraw keeps every top-level part that did not change (the same node, its listeners and focus), so a
 * button being clicked is not swapped out under the pointer; only the parts whose content moved are replaced.
 */
function patch(parent, nodes) {
  const next = nodes.flat().filter(Boolean);
  const old = [...parent.childNodes];
  if (old.length !== next.length) {
    show(parent, next);
    return;
  }
  next.forEach((node, i) => {
    if (!old[i].isEqualNode(node)) old[i].replaceWith(node);
  });
}

export function message(err) {
  if (err instanceof ApiError) return `${err.message} (HTTP ${err.status})`;
  if (err instanceof TypeError) return `The worker cannot be reached: ${err.message}`;
  return err?.message ?? String(err);
}

function updateWho() {
  const who = signedInAs();
  document.getElementById('signout').hidden = who === undefined;
  document.getElementById('who').textContent = who === undefined ? '' : `Signed in as ${who}`;
}

function showSignIn(problem) {
  clearInterval(timer);
  timer = undefined;
  const user = h('input', { id: 'signin-user', name: 'user', autocomplete: 'username' });
  const password = h('input', {
    id: 'signin-password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
  });
  const token = h('input', { id: 'signin-token', name: 'token', type: 'password', autocomplete: 'off' });
  const missing = h('p', { class: 'error', id: 'signin-missing', 'aria-live': 'polite' });
  const form = h(
    'form',
    {
      class: 'signin',
      'aria-labelledby': 'signin-title',
      onsubmit: (e) => {
        e.preventDefault();
        if (token.value.trim() !== '') signInWithToken(token.value.trim());
        else if (user.value !== '' && password.value !== '') signIn(user.value, password.value);
        else {
          missing.textContent = 'Enter a user and a password, or a token.';
          return;
        }
        start();
      },
    },
    h('h1', { id: 'signin-title' }, 'Sign in'),
    h('p', {}, 'This worker requires authentication. The credential is kept for this browser tab only.'),
    problem && h('p', { class: 'error', role: 'alert' }, problem),
    h('label', { for: 'signin-user' }, 'User'),
    user,
    h('label', { for: 'signin-password' }, 'Password'),
    password,
    h('label', { for: 'signin-token' }, 'or a bearer token'),
    token,
    missing,
    h('button', { type: 'submit', id: 'signin-submit' }, 'Sign in'),
  );
  show(view, form);
  updateWho();
  user.focus();
}

function start() {
  clearInterval(timer);
  timer = setInterval(() => {
    if (!document.hidden) void tick();
  }, POLL_MS);
  void route();
}

document.getElementById('signout').addEventListener('click', () => {
  signOut();
  showSignIn();
});
window.addEventListener('hashchange', () => void route());
start();
