// The dashboard's shell: sign-in, the header, and a hash router (#/fleet, #/chips/ID, …) so every
// view has a link, the back button works, and the server serves one page.

import { ApiError, getJson, session, whenUnauthorized } from './lib/api.js';
import { errorState, h, replace } from './lib/dom.js';
import type { Principal } from './lib/types.js';
import { alertsPage, startAlertBadge } from './pages/alerts.js';
import { chipPage } from './pages/chip.js';
import { coveragePage } from './pages/coverage.js';
import { fleetPage } from './pages/fleet.js';
import { licencesPage } from './pages/licences.js';
import { logPage } from './pages/log.js';
import type { Page, PageContext } from './pages/page.js';
import { signInPage } from './pages/sign-in.js';

const PAGES: Record<string, Page> = {
  fleet: fleetPage,
  chips: chipPage,
  licences: licencesPage,
  alerts: alertsPage,
  log: logPage,
  coverage: coveragePage,
};

const TITLES: Record<string, string> = {
  fleet: 'Fleet',
  chips: 'Chip',
  licences: 'Licences',
  alerts: 'Alerts',
  log: 'Transparency log',
  coverage: 'Coverage',
};

let me: Principal | undefined;
let cleanup: (() => void) | undefined;
let stopBadge: (() => void) | undefined;

function parseHash(): { page: string; rest: string[]; params: URLSearchParams } {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, q = ''] = raw.split('?', 2);
  const [page = 'fleet', ...rest] = path.split('/').map(decodeURIComponent);
  return { page: page === '' ? 'fleet' : page, rest, params: new URLSearchParams(q) };
}

async function whoAmI(): Promise<Principal | undefined> {
  if (session.token() === null) return undefined;
  try {
    return await getJson<Principal>('/v1/me');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      session.clear();
      return undefined;
    }
    throw e;
  }
}

function signOut(): void {
  session.clear();
  me = undefined;
  stopBadge?.();
  stopBadge = undefined;
  location.hash = '#/fleet';
  void route();
}

function header(p: Principal | undefined): void {
  const nav = document.getElementById('nav')!;
  const who = document.getElementById('who')!;
  nav.hidden = p === undefined;
  if (p === undefined) {
    replace(who);
    return;
  }
  replace(
    who,
    h('span', { class: 'who-name' }, p.name),
    h('span', { class: `role role-${p.role}` }, p.scope ? `${p.role} · ${p.scope}` : p.role),
    h('button', { type: 'button', class: 'link', onclick: signOut }, 'Sign out'),
  );
}

async function route(): Promise<void> {
  cleanup?.();
  cleanup = undefined;
  const main = document.getElementById('main')!;
  const { page, rest, params } = parseHash();
  if (me === undefined) {
    try {
      me = await whoAmI();
    } catch (e) {
      replace(
        main,
        errorState(e, () => void route()),
      );
      return;
    }
  }
  header(me);
  if (me === undefined) {
    document.title = 'Sign in · geoattest';
    signInPage(main, async (p) => {
      me = p;
      await route();
    });
    return;
  }
  stopBadge ??= startAlertBadge(me);
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#nav a'))
    if (a.dataset.page === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  const render = PAGES[page];
  document.title = `${TITLES[page] ?? 'Not found'} · geoattest`;
  if (render === undefined) {
    replace(main, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/fleet' }, 'Back to the fleet map')));
    return;
  }
  const ctx: PageContext = { me, rest, params };
  main.replaceChildren();
  cleanup = render(main, ctx) ?? undefined;
  // Move focus to the new view for keyboard and screen-reader users, but not on first load.
  if (document.activeElement !== document.body) main.focus({ preventScroll: true });
}

whenUnauthorized(() => signOut());
window.addEventListener('hashchange', () => void route());
void route();
