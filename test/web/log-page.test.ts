// The transparency log page in a real browser (Debian's chromium) against a real server whose log
// has been sequenced: the checkpoint's signature checked in the browser with the key the user
// trusts (and refused with another), the checkpoint remembered and the log proven consistent with
// it after more verdicts are sequenced, a chip's verdicts proven included, from the chip page's
// link too, and a tampered tile in the database caught by the in-browser inclusion check.
// The world runs without the verifier's loop, so the test decides when the log grows.

import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signerKeyFrom, verifierKeyOf } from '../../src/tlog/note-keys.js';
import { type Browser, launchBrowser, screenshot, signIn } from './browser.js';
import { type DashboardWorld, openDashboardWorld } from './dashboard-world.js';

let world: DashboardWorld;
let browser: Browser;

beforeAll(async () => {
  execFileSync(process.execPath, ['scripts/build-web.mjs', '--no-check'], { stdio: 'inherit' });
  world = await openDashboardWorld();
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
});

const sigValid = (page: Page) => page.locator('[data-testid="sig-state"]').getAttribute('data-valid');
const result = (page: Page, check: string) => page.locator(`.result[data-check="${check}"]`).first();

async function openLog(hash = '#/log'): Promise<Page> {
  const page = await signIn(browser, world.url, world.tokens.auditor, hash);
  await page.locator('[data-testid="log-size"]').waitFor();
  await expect.poll(() => sigValid(page)).not.toBeNull();
  return page;
}

describe('the transparency log page', () => {
  it('shows the checkpoint and its cosignature, and checks its signature with the key the user trusts', async () => {
    const size = await world.verifier.log.size();
    expect(size).toBeGreaterThan(0);
    const page = await openLog();
    expect(await page.locator('[data-testid="log-size"]').textContent()).toBe(`${size} verdicts`);
    expect(await page.locator('[data-testid="log-origin"]').textContent()).toBe(world.verifier.log.origin);
    const kinds = await page.$$eval('.signatures-table tbody tr td:last-child', (tds) =>
      tds.map((t) => t.textContent),
    );
    expect(kinds).toHaveLength(2);
    expect(kinds[0]).toBe('the log’s signature');
    expect(kinds[1]).toMatch(/^witness cosignature, 20\d\d-/);

    // Prefilled with the server's own key, said to prove nothing.
    expect(await page.locator('#vkey').inputValue()).toBe(world.verifier.log.verifierKey);
    expect(await sigValid(page)).toBe('true');
    expect(await page.locator('[data-testid="key-source"]').getAttribute('data-source')).toBe('server');
    await page.getByText('A key fetched from the same server proves nothing').waitFor();

    // Another key of the same name: the signature is refused, and so is every check.
    const wrong = verifierKeyOf(
      signerKeyFrom(world.verifier.log.origin, generateKeyPairSync('ed25519').privateKey),
    );
    await page.locator('#vkey').fill(wrong);
    await page.getByRole('button', { name: 'Trust this key and check' }).click();
    await expect.poll(() => sigValid(page)).toBe('false');
    expect(await page.locator('[data-testid="sig-state"]').textContent()).toContain('NOT signed by this key');
    await page.getByRole('button', { name: 'Verify consistency' }).click();
    await result(page, 'consistency').waitFor();
    expect(await result(page, 'consistency').getAttribute('class')).toContain('bad');
    expect(await result(page, 'consistency').textContent()).toContain('not signed by the key you trust');
    await screenshot(page, 'log-wrong-key');

    // The right key, pinned: kept in local storage across a reload.
    await page.locator('#vkey').fill(world.verifier.log.verifierKey);
    await page.getByRole('button', { name: 'Trust this key and check' }).click();
    await expect.poll(() => sigValid(page)).toBe('true');
    await page.reload();
    await expect.poll(() => sigValid(page)).toBe('true');
    expect(await page.locator('[data-testid="key-source"]').getAttribute('data-source')).toBe('pinned');
    await page.close();
  });

  it('remembers the checkpoint it verified and proves the log consistent with it after more verdicts', async () => {
    const page = await openLog();
    const size1 = await world.verifier.log.size();
    await page.getByRole('button', { name: 'Verify consistency' }).click();
    await result(page, 'consistency').waitFor();
    expect(await result(page, 'consistency').textContent()).toContain('First checkpoint');
    expect(await page.locator('[data-testid="log-seen"]').textContent()).toMatch(
      new RegExp(`^size ${size1},`),
    );

    // Two more check-ins, decided and sequenced: a larger signed tree.
    await world.checkIn('GPU-2', { KUL: 0.25, JHB: 3.3 });
    await world.checkIn('GPU-4', { KUL: 25 });
    const size2 = await world.verifier.log.size();
    expect(size2).toBe(size1 + 2);
    await page.reload();
    await page.locator('[data-testid="log-size"]').waitFor();
    expect(await page.locator('[data-testid="log-size"]').textContent()).toBe(`${size2} verdicts`);
    await expect.poll(() => sigValid(page)).toBe('true');
    await page.getByRole('button', { name: 'Verify consistency' }).click();
    await result(page, 'consistency').waitFor();
    expect(await result(page, 'consistency').getAttribute('class')).toContain('ok');
    expect(await result(page, 'consistency').textContent()).toContain(`Consistent: size ${size1} → ${size2}`);
    expect(await page.locator('[data-testid="log-seen"]').textContent()).toMatch(
      new RegExp(`^size ${size2},`),
    );

    // A remembered root the log never had (a fork shown to this browser earlier): refused.
    await page.evaluate(
      ([n]) =>
        localStorage.setItem(
          'geoattest.log.seen',
          JSON.stringify({
            ...JSON.parse(localStorage.getItem('geoattest.log.seen') ?? '{}'),
            size: n,
            root: btoa(String.fromCharCode(...new Uint8Array(32).fill(7))),
          }),
        ),
      [size1],
    );
    await page.getByRole('button', { name: 'Verify consistency' }).click();
    await expect.poll(() => result(page, 'consistency').getAttribute('class')).toContain('bad');
    expect(await result(page, 'consistency').textContent()).toContain('TLOG_CONSISTENCY_PROOF_INVALID');
    await page.close();
  });

  it('proves a chip’s verdicts included, from their leaves and the tiles, by log index', async () => {
    // From the chip page: the latest verdict's link carries its leaf index.
    const page = await signIn(browser, world.url, world.tokens.auditor, '#/chips/GPU-1');
    const link = page.locator('a[data-testid="log-link"]');
    await link.waitFor();
    const verdicts = await world.verifier.evidence.verdictsOf('GPU-1');
    const leaves = await world.verifier.log.leavesOfVerdicts(verdicts.map((v) => Number(v.id)));
    const latest = Number(verdicts.map((v) => Number(v.id)).sort((a, b) => b - a)[0]);
    expect(Number(await link.getAttribute('data-log-index'))).toBe(leaves.get(latest));
    await link.click();
    await page.waitForURL(new RegExp(`#/log\\?chip=GPU-1&verdict=${latest}$`));
    await result(page, 'inclusion').waitFor();
    expect(await result(page, 'inclusion').getAttribute('class')).toContain('ok');
    expect(await result(page, 'inclusion').textContent()).toContain(
      '1 of 1 verdict(s) of GPU-1 proven included',
    );

    // All of them.
    await page.getByRole('button', { name: 'Verify inclusion' }).click();
    await expect.poll(() => result(page, 'inclusion').textContent()).toContain('4 of 4 verdict(s)');
    expect(await result(page, 'inclusion').getAttribute('class')).toContain('ok');
    const rows = page.locator('.inclusion-table').first().locator('tbody tr');
    expect(await rows.count()).toBe(4);
    const shown = await rows.evaluateAll((trs) =>
      trs.map((tr) => [
        Number(tr.children[0].textContent),
        Number(tr.children[1].textContent),
        tr.children[6].textContent,
      ]),
    );
    for (const [id, index, state] of shown) {
      expect(index).toBe(leaves.get(id as number));
      expect(state).toBe('✓ included');
    }
    await screenshot(page, 'log-verified');
    await page.close();
  });

  it('fails the in-browser inclusion check, visibly, when a stored tile is tampered with', async () => {
    // A new checkpoint, so its partial tile is one this browser has never fetched (tiles are
    // immutable and cached), then one hash in it changed in the database: a leaf of GPU-2's.
    await world.checkIn('GPU-2', { KUL: 0.24, JHB: 3.3 });
    const size = await world.verifier.log.size();
    const path = `tile/0/000.p/${size}`;
    const db = world.verifier.store.db;
    const row = await db
      .selectFrom('log_tiles')
      .select('data')
      .where('path', '=', path)
      .executeTakeFirstOrThrow();
    const bytes = Buffer.from(row.data, 'base64');
    expect(bytes.length).toBe(32 * size);
    bytes[32 * (size - 1)] ^= 0x01;
    await db
      .updateTable('log_tiles')
      .set({ data: bytes.toString('base64') })
      .where('path', '=', path)
      .execute();

    const page = await openLog('#/log?chip=GPU-1');
    expect(await sigValid(page)).toBe('true'); // the checkpoint itself is genuine
    await result(page, 'inclusion').waitFor();
    expect(await result(page, 'inclusion').getAttribute('class')).toContain('bad');
    expect(await result(page, 'inclusion').getAttribute('role')).toBe('alert');
    expect(await result(page, 'inclusion').textContent()).toContain('4 FAILED');
    const states = await page
      .locator('.inclusion-table')
      .first()
      .locator('tbody tr td:last-child')
      .allTextContents();
    expect(states).toHaveLength(4);
    for (const s of states) expect(s).toContain('TLOG_INCLUSION_PROOF_INVALID');
    await screenshot(page, 'log-tampered');
    await page.close();
  });

  it('asked no other host for anything, and threw no errors', () => {
    const origin = new URL(world.url).origin;
    expect(browser.requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:'))).toEqual([]);
    expect(browser.errors).toEqual([]);
  });
});
