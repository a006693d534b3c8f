// Alerts: the live feed (a new alert appears without a reload), filters by kind and state, and
// acknowledgement with a note for the roles the API lets acknowledge (admin, exporter). Each alert
// links to the chip page that explains it.

import { onAlert, onFeedState } from '../lib/alert-feed.js';
import { ApiError, getJson, postJson, query } from '../lib/api.js';
import { announce, empty, errorState, h, loading, replace } from '../lib/dom.js';
import { dateTime } from '../lib/format.js';
import { ALERT_KINDS, type Alert, type Principal } from '../lib/types.js';
import { type Page, setParams } from './page.js';

const KIND_NAMES: Record<string, string> = {
  diversion: 'Diversion',
  unverified: 'Unverified too long',
  'missed-check-in': 'Missed check-in',
  'cloned-identity': 'Cloned identity',
  'landmark-integrity': 'Landmark integrity',
  licence: 'Licence',
};

const mayAcknowledge = (p: Principal) => p.role === 'admin' || p.role === 'exporter';

export const alertsPage: Page = (main, { me, params }) => {
  const kinds = (params.get('kind') ?? '')
    .split(',')
    .filter((k) => (ALERT_KINDS as readonly string[]).includes(k));
  const open = params.get('open') ?? '';
  const status = h('p', { class: 'feed-state', role: 'status' });
  const list = h('ol', { class: 'alerts', 'aria-label': 'Alerts, newest first' });
  const body = h('div', {}, loading('alerts'));
  replace(main, h('div', { class: 'title-row' }, h('h1', {}, 'Alerts'), status), filters(kinds, open), body);

  let stop: (() => void) | undefined;
  const stopState = onFeedState((s, detail) => {
    status.className = `feed-state ${s}`;
    status.textContent =
      s === 'live'
        ? 'Live'
        : s === 'connecting'
          ? 'Connecting…'
          : s === 'retrying'
            ? `Reconnecting (${detail ?? ''})`
            : `Live feed off${detail ? `: ${detail}` : ''}`;
  });
  const matches = (a: Alert) =>
    (kinds.length === 0 || kinds.includes(a.kind)) &&
    (open === '' || (open === 'true') === (a.acknowledged === null));

  const load = async () => {
    replace(body, loading('alerts'));
    try {
      const { alerts } = await getJson<{ alerts: Alert[] }>(
        `/v1/alerts${query({ kind: kinds.join(',') || undefined, open: open || undefined, limit: 500 })}`,
      );
      replace(list, ...alerts.map((a) => alertItem(a, me)));
      const none = empty('No alerts. New ones appear here as they are raised.');
      replace(body, alerts.length === 0 ? none : list);
      stop?.();
      stop = onAlert(
        (a) => {
          if (!matches(a)) return;
          if (none.isConnected) replace(body, list);
          list.prepend(alertItem(a, me, true));
          announce(`New ${KIND_NAMES[a.kind] ?? a.kind} alert${a.chipId ? ` on chip ${a.chipId}` : ''}`);
        },
        alerts.reduce((m, a) => Math.max(m, a.id), 0),
      );
    } catch (e) {
      replace(
        body,
        errorState(e, () => void load()),
      );
    }
  };
  void load();
  return () => {
    stop?.();
    stopState();
  };
};

function filters(kinds: readonly string[], open: string): HTMLElement {
  const apply = (form: HTMLFormElement) => {
    const data = new FormData(form);
    const chosen = data.getAll('kind').map(String);
    setParams({
      kind: chosen.length === ALERT_KINDS.length ? undefined : chosen.join(','),
      open: String(data.get('open') ?? ''),
    });
  };
  const form = h(
    'form',
    { class: 'filters alert-filters', 'aria-label': 'Filter alerts' },
    h(
      'fieldset',
      {},
      h('legend', {}, 'Kind'),
      ...ALERT_KINDS.map((k) =>
        h(
          'label',
          { class: 'check' },
          h('input', {
            type: 'checkbox',
            name: 'kind',
            value: k,
            checked: kinds.length === 0 || kinds.includes(k),
          }),
          KIND_NAMES[k],
        ),
      ),
    ),
    h(
      'label',
      { class: 'filter' },
      'State',
      h(
        'select',
        { name: 'open' },
        h('option', { value: '', selected: open === '' }, 'All'),
        h('option', { value: 'true', selected: open === 'true' }, 'Open'),
        h('option', { value: 'false', selected: open === 'false' }, 'Acknowledged'),
      ),
    ),
  );
  form.addEventListener('change', () => apply(form));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    apply(form);
  });
  return form;
}

function alertItem(a: Alert, me: Principal, fresh = false): HTMLElement {
  const ackArea = h('div', { class: 'ack' });
  const showAck = (x: Alert) => {
    if (x.acknowledged !== null) {
      replace(
        ackArea,
        h(
          'p',
          { class: 'acked' },
          `Acknowledged by ${x.acknowledged.by} at ${dateTime(x.acknowledged.at)}: `,
          h('q', {}, x.acknowledged.note),
        ),
      );
      item.classList.add('is-acked');
    } else if (mayAcknowledge(me)) replace(ackArea, ackForm(x, showAck));
    else
      replace(
        ackArea,
        h('p', { class: 'note' }, 'Open. Only administrators and the exporter acknowledge alerts.'),
      );
  };
  const item = h(
    'li',
    { class: `alert kind-${a.kind}${fresh ? ' fresh' : ''}`, 'data-alert-id': a.id, 'data-kind': a.kind },
    h(
      'div',
      { class: 'alert-head' },
      h('span', { class: `kind-badge kind-${a.kind}` }, KIND_NAMES[a.kind] ?? a.kind),
      h('time', { datetime: a.openedAt }, dateTime(a.openedAt)),
      h('span', { class: 'mono' }, `#${a.id}`),
    ),
    h('p', { class: 'alert-message' }, a.message),
    h(
      'p',
      { class: 'alert-links' },
      a.chipId ? h('a', { href: `#/chips/${encodeURIComponent(a.chipId)}` }, `Chip ${a.chipId}: why?`) : null,
      a.licenceId
        ? h('a', { href: `#/licences?licence=${encodeURIComponent(a.licenceId)}` }, `Licence ${a.licenceId}`)
        : null,
      a.landmarks.length > 0 ? h('span', {}, `Landmarks: ${a.landmarks.join(', ')}`) : null,
    ),
    ackArea,
  );
  showAck(a);
  return item;
}

function ackForm(a: Alert, done: (a: Alert) => void): HTMLElement {
  const id = `note-${a.id}`;
  const note = h('textarea', { id, name: 'note', rows: 1, maxlength: 2000, required: true });
  const msg = h('span', { class: 'form-status', role: 'status' });
  const button = h('button', { type: 'submit' }, 'Acknowledge');
  const form = h(
    'form',
    { class: 'ack-form' },
    h('label', { for: id }, 'Note (what was done)'),
    note,
    button,
    msg,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = note.value.trim();
    if (text === '') {
      msg.textContent = 'Write a note first: acknowledgements are kept with who and why.';
      note.focus();
      return;
    }
    button.disabled = true;
    msg.textContent = 'Saving…';
    postJson<Alert>(`/v1/alerts/${a.id}/ack`, { note: text })
      .then((x) => {
        announce(`Alert ${a.id} acknowledged`);
        done(x);
      })
      .catch((err: unknown) => {
        button.disabled = false;
        msg.textContent = err instanceof ApiError ? `${err.message} (${err.code})` : String(err);
      });
  });
  return form;
}

/** The open-alert count in the header, kept current by the same live feed. */
export function startAlertBadge(me: Principal): () => void {
  const badge = document.getElementById('alert-badge');
  if (badge === null || me.role === 'landmark') return () => {};
  let open = 0;
  const show = () => {
    badge.hidden = open === 0;
    badge.textContent = String(open);
    badge.setAttribute('aria-label', `${open} open`);
  };
  let stop: (() => void) | undefined;
  let cancelled = false;
  getJson<{ alerts: Alert[] }>('/v1/alerts?open=true&limit=5000')
    .then((r) => {
      if (cancelled) return;
      open = r.alerts.length;
      show();
      stop = onAlert(
        () => {
          open++;
          show();
        },
        r.alerts.reduce((m, a) => Math.max(m, a.id), 0),
      );
    })
    .catch(() => {});
  return () => {
    cancelled = true;
    stop?.();
  };
}
