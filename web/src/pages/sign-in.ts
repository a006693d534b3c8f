// Sign-in with an API token. The token is checked against /v1/me before it is kept (in session
// storage only: it is gone with the tab, and never appears in a URL or a log).

import { ApiError, getJson, session } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';
import type { Principal } from '../lib/types.js';

export function signInPage(main: HTMLElement, done: (p: Principal) => Promise<void>): void {
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    placeholder: 'ga_…',
    'aria-describedby': 'token-help',
  });
  const status = h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card sign-in', novalidate: true },
    h('h1', {}, 'Sign in'),
    h('label', { for: 'token' }, 'API token'),
    input,
    h(
      'p',
      { id: 'token-help', class: 'help' },
      'An administrator creates tokens with ',
      h('code', {}, 'geoattest token create'),
      '. What you see depends on the token’s role: an operator sees only its own chips.',
    ),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    status,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const token = input.value.trim();
    if (!/^ga_[A-Za-z0-9_-]{8,}$/.test(token)) {
      status.textContent = 'A token starts with ga_ followed by letters, digits, - or _.';
      input.focus();
      return;
    }
    status.textContent = 'Checking…';
    getJson<Principal>('/v1/me', token)
      .then(async (p) => {
        session.set(token);
        await done(p);
      })
      .catch((err: unknown) => {
        status.textContent =
          err instanceof ApiError && err.status === 401
            ? 'This token is unknown or revoked.'
            : `Could not sign in: ${(err as Error).message}`;
        input.focus();
      });
  });
  replace(main, form);
  input.focus();
}
