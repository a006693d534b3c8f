// The transparency log: the latest checkpoint (origin, size, root, signatures and cosignatures),
// and two checks done here, in the browser, from the log's public tiles: that the log still
// extends the checkpoint this browser saw last (kept in local storage), and that a chip's verdicts
// are in it. Nothing is taken on the server's word: proofs are computed from tiles and verified
// against the checkpoint's root with WebCrypto.

import { ApiError, getJson, getPublic } from '../lib/api.js';
import { announce, errorState, h, loading, replace, table } from '../lib/dom.js';
import { dateTime, shortHash } from '../lib/format.js';
import type { VerdictView } from '../lib/types.js';
import {
  type Checkpoint,
  fromBase64,
  parseCheckpoint,
  parseVerifierKey,
  toBase64,
  toHex,
  verifyCheckpointSignature,
} from '../log/checkpoint.js';
import { equal, LogVerifyError, leafHash, verifyConsistency, verifyInclusion } from '../log/merkle.js';
import { TileLog } from '../log/tile-log.js';
import { leafEvidenceHash, readVerdictLeaf } from '../log/verdict-leaf.js';
import type { Page } from './page.js';

const SEEN_KEY = 'geoattest.log.seen';
const VKEY_KEY = 'geoattest.log.vkey';
/** Scanning for a chip's leaves reads entry bundles; beyond this many the log needs an index. */
const MAX_SCAN_BUNDLES = 64;

interface Seen {
  readonly origin: string;
  readonly size: number;
  readonly root: string;
  readonly at: string;
}

function seen(): Seen | undefined {
  try {
    const v = JSON.parse(localStorage.getItem(SEEN_KEY) ?? 'null') as Seen | null;
    return v !== null && typeof v.size === 'number' && typeof v.root === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

async function fetchCheckpoint(): Promise<{ note: string } | 'absent'> {
  try {
    const res = await getPublic('/checkpoint');
    return { note: await res.text() };
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 501)) return 'absent';
    throw e;
  }
}

const readTile = async (path: string) => {
  try {
    return new Uint8Array(await (await getPublic(`/${path}`)).arrayBuffer());
  } catch (e) {
    throw new LogVerifyError('TLOG_FETCH_FAILED', `cannot read ${path}: ${(e as Error).message}`);
  }
};

export const logPage: Page = (main, { params }) => {
  const body = h('div', {}, loading('the latest checkpoint'));
  replace(main, h('h1', {}, 'Transparency log'), body);
  const load = async () => {
    replace(body, loading('the latest checkpoint'));
    try {
      const got = await fetchCheckpoint();
      if (got === 'absent') {
        replace(
          body,
          h(
            'div',
            { class: 'state empty log-absent', role: 'status' },
            h('p', {}, h('strong', {}, 'The transparency log is not available on this server.')),
            h(
              'p',
              {},
              'This verifier does not serve a log checkpoint yet (GET /checkpoint answers 404). When it does, this page shows the latest checkpoint and verifies in your browser that it extends the last one you saw and that a chip’s verdicts are in it.',
            ),
          ),
        );
        return;
      }
      render(body, parseCheckpoint(got.note), params.get('chip') ?? '');
    } catch (e) {
      replace(
        body,
        errorState(e, () => void load()),
      );
    }
  };
  void load();
  return undefined;
};

function render(body: HTMLElement, c: Checkpoint, chip: string): void {
  const prev = seen();
  const out = h('div', { class: 'log-results', 'aria-live': 'polite' });
  const vkey = h('input', {
    id: 'vkey',
    type: 'text',
    spellcheck: 'false',
    value: localStorage.getItem(VKEY_KEY) ?? '',
    placeholder: 'origin+1234abcd+base64…',
  });
  const sigState = h('span', { class: 'sig-state' }, 'not checked');
  const checkSig = async () => {
    const k = vkey.value.trim();
    if (k === '') {
      sigState.textContent = 'no log key given: signature not checked';
      return;
    }
    try {
      const ok = await verifyCheckpointSignature(c, await parseVerifierKey(k));
      localStorage.setItem(VKEY_KEY, k);
      sigState.textContent = ok ? 'valid signature by this key' : 'NOT signed by this key';
      sigState.className = `sig-state ${ok ? 'ok' : 'bad'}`;
    } catch (e) {
      sigState.textContent = (e as Error).message;
      sigState.className = 'sig-state bad';
    }
  };
  const chipInput = h('input', { id: 'chip-id', type: 'text', value: chip, placeholder: 'chip id' });
  const consistencyBtn = h('button', { type: 'button', class: 'primary' }, 'Verify consistency');
  const inclusionBtn = h('button', { type: 'button' }, 'Verify inclusion');
  consistencyBtn.addEventListener('click', () => void consistency(c, prev, out));
  inclusionBtn.addEventListener('click', () => void inclusion(c, chipInput.value.trim(), out));
  replace(
    body,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'cp-h' },
      h('h2', { id: 'cp-h' }, 'Latest checkpoint'),
      h(
        'dl',
        { class: 'facts two-col' },
        h('dt', {}, 'Origin'),
        h('dd', { class: 'mono' }, c.origin),
        h('dt', {}, 'Size'),
        h('dd', { 'data-testid': 'log-size' }, `${c.size.toLocaleString('en')} verdicts`),
        h('dt', {}, 'Root hash'),
        h('dd', {}, h('code', { class: 'hash', title: toHex(c.root) }, toBase64(c.root))),
        h('dt', {}, 'Last seen here'),
        h(
          'dd',
          {},
          prev
            ? `size ${prev.size.toLocaleString('en')}, ${dateTime(prev.at)}`
            : 'never (this browser has not verified this log yet)',
        ),
      ),
      table(
        'Signatures and cosignatures',
        ['Key name', 'Key id', 'Kind'],
        c.signatures.map((s) => [
          s.name,
          s.keyId.toString(16).padStart(8, '0'),
          s.cosignedAt !== undefined
            ? `cosignature at ${new Date(s.cosignedAt * 1000).toISOString()}`
            : 'signature',
        ]),
      ),
      h('label', { for: 'vkey' }, 'Log verifier key (checked in the browser, kept in local storage)'),
      h(
        'div',
        { class: 'inline' },
        vkey,
        h('button', { type: 'button', onclick: () => void checkSig() }, 'Check signature'),
        sigState,
      ),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'verify-h' },
      h('h2', { id: 'verify-h' }, 'Verify in this browser'),
      h(
        'p',
        {},
        'Consistency: the log still contains, unchanged, everything it held at the checkpoint this browser saw last.',
      ),
      consistencyBtn,
      h('p', {}, 'Inclusion: each verdict of a chip is a leaf of this checkpoint’s tree.'),
      h('div', { class: 'inline' }, h('label', { for: 'chip-id' }, 'Chip'), chipInput, inclusionBtn),
      out,
    ),
  );
  void checkSig();
}

function result(out: HTMLElement, ok: boolean, text: string): void {
  out.prepend(
    h('p', { class: `result ${ok ? 'ok' : 'bad'}`, role: ok ? 'status' : 'alert' }, ok ? '✓ ' : '✗ ', text),
  );
  announce(text);
}

async function consistency(c: Checkpoint, prev: Seen | undefined, out: HTMLElement): Promise<void> {
  try {
    const log = new TileLog(readTile, c.size);
    const root = await log.root();
    if (!equal(root, c.root))
      throw new LogVerifyError('TLOG_FORK', 'the tiles do not hash to the checkpoint’s root');
    if (prev !== undefined && prev.origin === c.origin) {
      const oldRoot = fromBase64(prev.root);
      if (oldRoot === undefined)
        throw new LogVerifyError('CHECKPOINT_MALFORMED', 'the stored checkpoint is damaged');
      await verifyConsistency(prev.size, c.size, await log.consistencyProof(prev.size), oldRoot, c.root);
      result(
        out,
        true,
        `Consistent: size ${prev.size} → ${c.size}, the earlier tree is a prefix of this one.`,
      );
    } else
      result(
        out,
        true,
        `The tiles match the checkpoint (size ${c.size}). Kept as the checkpoint to check against next time.`,
      );
    localStorage.setItem(
      SEEN_KEY,
      JSON.stringify({
        origin: c.origin,
        size: c.size,
        root: toBase64(c.root),
        at: new Date().toISOString(),
      } satisfies Seen),
    );
  } catch (e) {
    result(out, false, `${(e as Error).message} (${(e as { code?: string }).code ?? 'ERROR'})`);
  }
}

async function inclusion(c: Checkpoint, chip: string, out: HTMLElement): Promise<void> {
  if (chip === '') {
    result(out, false, 'Give a chip id first.');
    return;
  }
  try {
    const { verdicts } = await getJson<{ verdicts: VerdictView[] }>(
      `/v1/chips/${encodeURIComponent(chip)}/verdicts`,
    );
    const wanted = new Map<string, VerdictView>();
    for (const v of verdicts) wanted.set(await leafEvidenceHash(v.evidence), v);
    const log = new TileLog(readTile, c.size);
    const bundles = Math.ceil(c.size / 256);
    if (bundles > MAX_SCAN_BUNDLES)
      throw new LogVerifyError(
        'TLOG_HASH_UNAVAILABLE',
        `the log has ${c.size} leaves; finding a chip's leaves needs an index the server does not offer yet`,
      );
    const rows: (string | HTMLElement)[][] = [];
    const found = new Set<string>();
    for (let b = 0; b < bundles; b++) {
      const entries = await log.bundle(b);
      for (let i = 0; i < entries.length; i++) {
        const leaf = readVerdictLeaf(entries[i]);
        const v = wanted.get(leaf.evidenceHash);
        if (v === undefined || leaf.licence === '') continue;
        const index = b * 256 + i;
        await verifyInclusion(
          index,
          c.size,
          await leafHash(entries[i]),
          await log.inclusionProof(index),
          c.root,
        );
        found.add(leaf.evidenceHash);
        rows.push([
          String(index),
          dateTime(v.computedAt),
          leaf.verdict,
          leaf.region,
          h('code', { title: leaf.evidenceHash }, shortHash(leaf.evidenceHash)),
          'included ✓',
        ]);
      }
    }
    const missing = verdicts.length - found.size;
    out.prepend(
      table(
        `Verdicts of ${chip} in the log`,
        ['Leaf', 'Decided', 'Verdict', 'Region', 'Evidence hash', 'Proof'],
        rows,
      ),
    );
    result(
      out,
      missing === 0,
      missing === 0
        ? `All ${verdicts.length} verdict(s) of ${chip} are included in the tree of size ${c.size}.`
        : `${found.size} of ${verdicts.length} verdict(s) of ${chip} are in this checkpoint; ${missing} not (yet) logged.`,
    );
  } catch (e) {
    result(out, false, `${(e as Error).message} (${(e as { code?: string }).code ?? 'ERROR'})`);
  }
}
