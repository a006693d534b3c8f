// A few lines instead of a framework: build elements from tag, attributes and children, and the
// three states every view needs (loading, error, empty), written once so they look and read alike.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>;

function apply(el: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v as EventListener);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el: Element, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'object' ? c : String(c));
  }
}

/** An HTML element: h('a', { href: '#/x', onclick: f }, 'text'). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element, attributes as given (no camel-case conversion). */
export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

export function loading(what: string): HTMLElement {
  return h('p', { class: 'state loading', role: 'status' }, `Loading ${what}…`);
}

export function empty(text: string): HTMLElement {
  return h('p', { class: 'state empty' }, text);
}

/** An error as the API coded it: the code for support, the message for people, and a retry. */
export function errorState(e: unknown, retry?: () => void): HTMLElement {
  const code = (e as { code?: string }).code ?? 'ERROR';
  const message = e instanceof Error ? e.message : String(e);
  return h(
    'div',
    { class: 'state error', role: 'alert' },
    h('p', {}, h('strong', {}, friendly(code)), ' ', message),
    h('p', { class: 'code' }, `code ${code}`),
    retry ? h('button', { type: 'button', onclick: () => retry() }, 'Try again') : null,
  );
}

function friendly(code: string): string {
  switch (code) {
    case 'FORBIDDEN':
      return 'Not available to your role.';
    case 'NOT_FOUND':
      return 'Not found.';
    case 'UNAUTHORIZED':
      return 'Please sign in again.';
    case 'NETWORK':
      return 'The verifier did not answer.';
    default:
      return 'Something went wrong.';
  }
}

/** Says something to screen readers without moving focus. */
export function announce(text: string): void {
  const el = document.getElementById('announcer');
  if (el !== null) el.textContent = text;
}

/** A table with a caption and header row; cells are children. Scrolls sideways on narrow screens. */
export function table(
  caption: string,
  head: readonly string[],
  rows: readonly Child[][],
  cls = '',
): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption },
    h(
      'table',
      { class: cls },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, ...head.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
    ),
  );
}
