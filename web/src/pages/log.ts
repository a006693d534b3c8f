// The transparency log: the latest checkpoint (origin, size, root, signatures and cosignatures),
// the log key this browser trusts, and three checks done here, in the browser, from hashes: the
// checkpoint's Ed25519 signature (WebCrypto) by that key; that the log still extends the checkpoint
// this browser saw last (kept in local storage), by a consistency proof verified against both
// roots; and that a chip's verdicts are leaves of the signed tree, each leaf read from the log's
// entry bundles, matched to its verdict and hashed up to the signed root through proofs computed
// from the public hash tiles. The server's word (its key, its proofs) is never taken as such: a
// key it serves is shown as unconfirmed, and every proof it serves is checked before it counts.

import { ApiError, getJson, getPublic } from '../lib/api.js';
import { announce, empty, errorState, h, loading, replace, table } from '../lib/dom.js';
import { dateTime, plural, shortHash } from '../lib/format.js';
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

/** GET /v1/log. */
interface LogInfo {
  readonly origin: string;
  readonly verifierKey: string;
  readonly size: number;
  readonly checkpoint: string | null;
}

/** A chip's verdict as GET /v1/chips/:id/verdicts lists it: with its leaf index once sequenced. */
type LoggedVerdict = VerdictView & { readonly logIndex: number | null };

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

function remember(c: Checkpoint): void {
  localStorage.setItem(
    SEEN_KEY,
    JSON.stringify({
      origin: c.origin,
      size: c.size,
      root: toBase64(c.root),
      at: new Date().toISOString(),
    } satisfies Seen),
  );
}

const readTile = async (path: string) => {
  try {
    return new Uint8Array(await (await getPublic(`/${path}`)).arrayBuffer());
  } catch (e) {
    throw new LogVerifyError('TLOG_FETCH_FAILED', `cannot read ${path}: ${(e as Error).message}`);
  }
};

const codeOf = (e: unknown) => (e as { code?: string }).code ?? 'ERROR';

export const logPage: Page = (main, { params }) => {
  const body = h('div', {}, loading('the log'));
  replace(main, h('h1', {}, 'Transparency log'), body);
  const load = async () => {
    replace(body, loading('the log'));
    try {
      let info: LogInfo;
      try {
        info = await (await getPublic('/v1/log')).json();
      } catch (e) {
        if (e instanceof ApiError && (e.status === 404 || e.status === 501)) {
          replace(body, absent());
          return;
        }
        throw e;
      }
      if (info.checkpoint === null) {
        replace(
          body,
          empty(
            `The log ${info.origin} is empty: no verdict has been sequenced yet. Verdicts are appended within seconds of being decided.`,
          ),
        );
        return;
      }
      new LogView(body, info, parseCheckpoint(info.checkpoint), params).render();
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

function absent(): HTMLElement {
  return h(
    'div',
    { class: 'state empty log-absent', role: 'status' },
    h('p', {}, h('strong', {}, 'The transparency log is not available on this server.')),
    h(
      'p',
      {},
      'This verifier does not serve a log (GET /v1/log answers 404). When it does, this page shows the latest checkpoint and verifies in your browser that it extends the last one you saw and that a chip’s verdicts are in it.',
    ),
  );
}

class LogView {
  private readonly tiles: TileLog;
  private readonly out = h('div', { class: 'log-results', 'aria-live': 'polite' });
  private readonly vkey: HTMLInputElement;
  private readonly keySource = h('p', { class: 'key-source', 'data-testid': 'key-source' });
  private readonly sigState = h('span', { class: 'sig-state', 'data-testid': 'sig-state' }, 'not checked');
  private readonly seenState = h('dd', { 'data-testid': 'log-seen' });
  private readonly chipInput: HTMLInputElement;

  constructor(
    private readonly body: HTMLElement,
    private readonly info: LogInfo,
    private readonly c: Checkpoint,
    private readonly params: URLSearchParams,
  ) {
    this.tiles = new TileLog(readTile, c.size);
    this.vkey = h('input', {
      id: 'vkey',
      type: 'text',
      spellcheck: 'false',
      autocomplete: 'off',
      value: localStorage.getItem(VKEY_KEY) ?? info.verifierKey,
      placeholder: 'origin+1234abcd+base64…',
    });
    this.vkey.addEventListener('input', () => this.showKeySource());
    this.chipInput = h('input', {
      id: 'chip-id',
      type: 'text',
      value: params.get('chip') ?? '',
      placeholder: 'chip id',
    });
  }

  render(): void {
    const c = this.c;
    this.showSeen();
    this.showKeySource();
    const trustBtn = h('button', { type: 'button' }, 'Trust this key and check');
    trustBtn.addEventListener('click', () => {
      const k = this.vkey.value.trim();
      if (k === '') localStorage.removeItem(VKEY_KEY);
      else localStorage.setItem(VKEY_KEY, k);
      this.showKeySource();
      void this.checkSignature();
    });
    const consistencyBtn = h('button', { type: 'button', class: 'primary' }, 'Verify consistency');
    consistencyBtn.addEventListener('click', () => void this.consistency());
    const inclusionBtn = h('button', { type: 'button' }, 'Verify inclusion');
    inclusionBtn.addEventListener('click', () => void this.inclusion(this.chipInput.value.trim()));
    replace(
      this.body,
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'cp-h' },
        h('h2', { id: 'cp-h' }, 'Latest checkpoint'),
        h(
          'dl',
          { class: 'facts two-col' },
          h('dt', {}, 'Origin'),
          h('dd', { class: 'mono', 'data-testid': 'log-origin' }, c.origin),
          h('dt', {}, 'Size'),
          h('dd', { 'data-testid': 'log-size' }, `${c.size.toLocaleString('en')} verdicts`),
          h('dt', {}, 'Root hash'),
          h('dd', {}, h('code', { class: 'hash', title: toHex(c.root) }, toBase64(c.root))),
          h('dt', {}, 'Last verified here'),
          this.seenState,
        ),
        table(
          'Signatures and cosignatures',
          ['Key name', 'Key id', 'Kind'],
          c.signatures.map((s) => [
            s.name,
            s.keyId.toString(16).padStart(8, '0'),
            s.cosignedAt !== undefined
              ? `witness cosignature, ${new Date(s.cosignedAt * 1000).toISOString().replace('.000', '')}`
              : s.name === c.origin
                ? 'the log’s signature'
                : 'signature',
          ]),
          'signatures-table',
        ),
        h('p', { class: 'note' }, cosignatureNote(c)),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'key-h' },
        h('h2', { id: 'key-h' }, 'The log key you trust'),
        h(
          'p',
          { class: 'warn' },
          'A key fetched from the same server proves nothing: a server that rewrote its log would serve the key that signs the rewrite. Paste the log’s key as you got it from somewhere else (the operator’s publication, your auditor, a witness); this browser keeps it (local storage) and checks every checkpoint against it.',
        ),
        h('label', { for: 'vkey' }, 'Log verifier key (Ed25519, C2SP signed-note)'),
        h('div', { class: 'inline' }, this.vkey, trustBtn),
        this.keySource,
        h('p', {}, 'Checkpoint signature: ', this.sigState),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'verify-h' },
        h('h2', { id: 'verify-h' }, 'Verify in this browser'),
        h(
          'p',
          {},
          'Consistency: the log still holds, unchanged, everything it held at the checkpoint this browser verified last (an RFC 9162 consistency proof, checked here against both roots).',
        ),
        consistencyBtn,
        h(
          'p',
          {},
          'Inclusion: each logged verdict of a chip is the leaf at its index, read from the log’s entry bundles, and hashes up to the signed root through the log’s hash tiles.',
        ),
        h('div', { class: 'inline' }, h('label', { for: 'chip-id' }, 'Chip'), this.chipInput, inclusionBtn),
        this.out,
      ),
    );
    void this.checkSignature().then((ok) => {
      const chip = this.params.get('chip');
      if (ok && chip) void this.inclusion(chip, this.params.get('verdict') ?? undefined);
    });
  }

  private showSeen(): void {
    const prev = seen();
    this.seenState.textContent =
      prev !== undefined && prev.origin === this.c.origin
        ? `size ${prev.size.toLocaleString('en')}, ${dateTime(prev.at)}`
        : 'never (this browser has not verified this log yet)';
  }

  private showKeySource(): void {
    const typed = this.vkey.value.trim();
    const pinned = localStorage.getItem(VKEY_KEY);
    const served = this.info.verifierKey;
    let text: string;
    let cls: string;
    if (pinned !== null && typed === pinned) {
      text =
        typed === served
          ? 'Your pinned key; the server announces the same one.'
          : 'Your pinned key. The server announces a different key: checks use yours.';
      cls = typed === served ? 'ok' : 'warn';
    } else if (typed === served) {
      text =
        'This key came from this server (GET /v1/log) and is not confirmed: checks against it show only that the server is consistent with itself.';
      cls = 'warn';
    } else {
      text = 'Not yet pinned: press “Trust this key and check” to keep it in this browser.';
      cls = 'note';
    }
    this.keySource.textContent = text;
    this.keySource.className = `key-source ${cls}`;
    this.keySource.dataset.source = pinned !== null && typed === pinned ? 'pinned' : 'server';
  }

  /** True when the checkpoint is signed by the key in the box. */
  private async checkSignature(): Promise<boolean> {
    const k = this.vkey.value.trim();
    const set = (ok: boolean, text: string) => {
      this.sigState.textContent = text;
      this.sigState.className = `sig-state ${ok ? 'ok' : 'bad'}`;
      this.sigState.dataset.valid = String(ok);
      return ok;
    };
    if (k === '') return set(false, 'no log key given: signature not checked');
    try {
      const ok = await verifyCheckpointSignature(this.c, await parseVerifierKey(k));
      return set(
        ok,
        ok
          ? '✓ valid Ed25519 signature by this key'
          : '✗ NOT signed by this key: nothing here can be trusted',
      );
    } catch (e) {
      return set(false, `✗ ${(e as Error).message}`);
    }
  }

  /** Every check starts here: proofs against a root nobody you trust signed show nothing. */
  private async requireSignature(): Promise<void> {
    if (!(await this.checkSignature()))
      throw new LogVerifyError(
        'CHECKPOINT_MALFORMED',
        'the checkpoint is not signed by the key you trust, so nothing can be verified against it',
      );
  }

  private result(check: string, ok: boolean, text: string): void {
    if (ok && this.keySource.dataset.source !== 'pinned')
      text +=
        ' Checked against the key this server announces, not one you pinned: it shows the server agrees with itself.';
    this.out.prepend(
      h(
        'p',
        { class: `result ${ok ? 'ok' : 'bad'}`, role: ok ? 'status' : 'alert', 'data-check': check },
        ok ? '✓ ' : '✗ ',
        text,
      ),
    );
    announce(text);
  }

  private async consistency(): Promise<void> {
    const c = this.c;
    try {
      await this.requireSignature();
      const prev = seen();
      if (prev === undefined || prev.origin !== c.origin) {
        remember(c);
        this.result(
          'consistency',
          true,
          `First checkpoint of ${c.origin} verified in this browser (size ${c.size}): kept, and the next check proves the log extends it.`,
        );
      } else {
        const oldRoot = fromBase64(prev.root);
        if (oldRoot === undefined || oldRoot.length !== 32)
          throw new LogVerifyError('CHECKPOINT_MALFORMED', 'the checkpoint kept in this browser is damaged');
        if (prev.size > c.size)
          throw new LogVerifyError(
            'TLOG_FORK',
            `the log shrank: this browser saw size ${prev.size}, the server now signs size ${c.size}`,
          );
        if (prev.size === c.size) {
          if (!equal(oldRoot, c.root))
            throw new LogVerifyError('TLOG_FORK', `two different signed roots for size ${c.size}`);
          this.result('consistency', true, `Unchanged since this browser last checked (size ${c.size}).`);
        } else {
          const { proof } = (await (
            await getPublic(`/v1/log/consistency?from=${prev.size}&to=${c.size}`)
          ).json()) as { proof: string[] };
          const hashes = proof.map((p) => {
            const b = fromBase64(p);
            if (b === undefined || b.length !== 32)
              throw new LogVerifyError('TLOG_PROOF_LENGTH', 'a proof hash is not 32 bytes of base64');
            return b;
          });
          await verifyConsistency(prev.size, c.size, hashes, oldRoot, c.root);
          this.result(
            'consistency',
            true,
            `Consistent: size ${prev.size} → ${c.size}. The tree this browser saw is a prefix of this one (${plural(hashes.length, 'proof hash', 'proof hashes')} checked here).`,
          );
        }
        remember(c);
      }
      this.showSeen();
    } catch (e) {
      this.result('consistency', false, `${(e as Error).message} (${codeOf(e)})`);
    }
  }

  /** Checks every logged verdict of `chip`, or only verdict `one` (from a chip page's link). */
  private async inclusion(chip: string, one?: string): Promise<void> {
    if (chip === '') {
      this.result('inclusion', false, 'Give a chip id first.');
      return;
    }
    const c = this.c;
    try {
      await this.requireSignature();
      const { verdicts } = await getJson<{ verdicts: LoggedVerdict[] }>(
        `/v1/chips/${encodeURIComponent(chip)}/verdicts`,
      );
      const list = one === undefined ? verdicts : verdicts.filter((v) => String(v.id) === one);
      const rows: (string | HTMLElement)[][] = [];
      let included = 0;
      let failed = 0;
      let pending = 0;
      for (const v of list) {
        let state: HTMLElement;
        if (v.logIndex === null) {
          pending++;
          state = h('span', { class: 'note' }, 'not in the log yet');
        } else if (v.logIndex >= c.size) {
          pending++;
          state = h('span', { class: 'note' }, 'logged after this checkpoint: reload');
        } else
          try {
            await this.includes(v, v.logIndex);
            included++;
            state = h('span', { class: 'ok' }, '✓ included');
          } catch (e) {
            failed++;
            state = h('span', { class: 'bad' }, `✗ ${(e as Error).message} (${codeOf(e)})`);
          }
        rows.push([
          String(v.id),
          v.logIndex === null ? '—' : String(v.logIndex),
          dateTime(v.computedAt),
          h('span', { class: `verdict v-${v.verdict}` }, v.verdict),
          v.region,
          h('code', { title: v.evidenceHash }, shortHash(v.evidenceHash)),
          state,
        ]);
      }
      this.out.prepend(
        table(
          `Verdicts of ${chip} in the tree of size ${c.size}`,
          ['Id', 'Leaf', 'Decided', 'Verdict', 'Region', 'Evidence hash', 'Inclusion'],
          rows,
          'inclusion-table',
        ),
      );
      const parts = [
        `${included} of ${list.length} verdict(s) of ${chip} proven included in the tree of size ${c.size}`,
      ];
      if (failed > 0) parts.push(`${failed} FAILED: the log’s tiles or leaves do not match its signed root`);
      if (pending > 0) parts.push(`${pending} not in this checkpoint yet`);
      this.result('inclusion', failed === 0 && included > 0, `${parts.join('; ')}.`);
    } catch (e) {
      this.result('inclusion', false, `${(e as Error).message} (${codeOf(e)})`);
    }
  }

  /**
   * Throws unless leaf `index` of the log is this verdict (its verdict, region, window and the
   * evidence hash recomputed here from the verdict's receipt hashes) and hashes up to the root.
   */
  private async includes(v: LoggedVerdict, index: number): Promise<void> {
    const entries = await this.tiles.bundle(Math.floor(index / 256));
    const entry = entries[index % 256];
    const leaf = readVerdictLeaf(entry);
    const evidence = await leafEvidenceHash(v.evidence);
    const differs = (what: string) => {
      throw new LogVerifyError('LEAF_MALFORMED', `leaf ${index} is another verdict (${what} differs)`);
    };
    if (leaf.evidenceHash !== evidence) differs('evidence hash');
    if (leaf.verdict !== v.verdict) differs('verdict');
    if (leaf.region !== v.region) differs('region');
    if (leaf.windowStartMs !== Date.parse(v.window.from) || leaf.windowEndMs !== Date.parse(v.window.to))
      differs('evidence window');
    await verifyInclusion(
      index,
      this.c.size,
      await leafHash(entry),
      await this.tiles.inclusionProof(index),
      this.c.root,
    );
  }
}

function cosignatureNote(c: Checkpoint): string {
  const n = c.signatures.filter((s) => s.cosignedAt !== undefined).length;
  const what =
    'A witness’s cosignature says it saw this checkpoint extend the last one it saw; witnesses and auditors check them with the witnesses’ keys.';
  return n === 0
    ? `No witness has cosigned this checkpoint yet. ${what}`
    : `${plural(n, 'witness cosignature')}. ${what}`;
}
