// The dashboard in a real browser (Debian's chromium) against a real server on a seeded SQLite
// database: the fleet map's counts, a chip's feasible region, the live alert feed, acknowledging,
// what an operator may not see, the log and coverage pages. Screenshots of every
// page go to artifacts/screenshots/.

import { execFileSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, launchBrowser, screenshot, signIn } from './browser.js';
import { type DashboardWorld, EXPECTED_VERDICTS, openDashboardWorld } from './dashboard-world.js';

let world: DashboardWorld;
let browser: Browser;

beforeAll(async () => {
  // The bundle the server serves, from the sources under test.
  execFileSync(process.execPath, ['scripts/build-web.mjs', '--no-check'], { stdio: 'inherit' });
  world = await openDashboardWorld({ startLoop: true });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
});

async function verdictCounts(page: Page): Promise<Record<string, number>> {
  return page.$$eval('.side .legend li[data-verdict]', (lis) =>
    Object.fromEntries(
      lis.map((li) => [li.getAttribute('data-verdict'), Number(li.querySelector('.count')?.textContent)]),
    ),
  );
}

/** Sums the verdict counts carried by the map's cluster markers. */
async function markerCounts(page: Page): Promise<Record<string, number>> {
  return page.$$eval('a.cluster', (as) => {
    const out: Record<string, number> = {};
    for (const a of as)
      for (const k of ['inside', 'outside', 'unverified', 'inconsistent', 'none'])
        out[k] = (out[k] ?? 0) + Number(a.getAttribute(`data-${k}`));
    return out;
  });
}

describe('the fleet map', () => {
  it('shows every chip, coloured by verdict, with the right count per verdict', async () => {
    const page = await signIn(browser, world.url, world.tokens.admin);
    await page.locator('a.cluster').first().waitFor();
    expect(await verdictCounts(page)).toEqual(EXPECTED_VERDICTS);
    expect(await markerCounts(page)).toEqual(EXPECTED_VERDICTS);
    expect(await page.locator('.chips-table tbody tr').count()).toBe(8);
    expect(await page.locator('path.landmark').count()).toBe(7);
    await screenshot(page, 'fleet');
    await page.close();
  });

  it('filters by verdict through the API', async () => {
    const page = await signIn(browser, world.url, world.tokens.admin);
    await page.locator('a.cluster').first().waitFor();
    await page.locator('select[name="verdict"]').selectOption('outside');
    await page.waitForURL(/verdict=outside/);
    await expect.poll(() => page.locator('.chips-table tbody tr').count()).toBe(1);
    // The map redraws after the table: wait for its markers too.
    await expect.poll(() => markerCounts(page)).toMatchObject({ outside: 1, inside: 0 });
    await page.close();
  });

  it('zooms with the keyboard', async () => {
    const page = await signIn(browser, world.url, world.tokens.admin);
    await page.locator('a.cluster').first().waitFor();
    const before = await page.locator('.countries path').first().getAttribute('d');
    await page.locator('svg.map-svg').focus();
    await page.keyboard.press('+');
    await expect.poll(() => page.locator('.countries path').first().getAttribute('d')).not.toBe(before);
    await page.close();
  });
});

describe('a chip page', () => {
  it('draws the landmark discs and the feasible region where they meet, with the verdict', async () => {
    const page = await signIn(browser, world.url, world.tokens.admin, '#/chips/GPU-1');
    await page.locator('path.feasible').waitFor();
    expect(await page.locator('path.disc').count()).toBe(3);
    expect(Number(await page.locator('path.feasible').getAttribute('data-cells'))).toBeGreaterThan(0);
    await expect.poll(() => page.locator('.verdict.big').getAttribute('data-verdict')).toBe('inside');
    expect(await page.locator('.reasons li').count()).toBeGreaterThan(0);
    expect(await page.locator('.history-chart circle.dot').count()).toBe(4);
    // The receipts behind the latest verdict: its one check-in, three landmarks.
    expect(await page.locator('.evidence-table tbody tr').count()).toBe(3);
    await expect.poll(() => page.locator('circle.estimate').count()).toBe(1);
    await screenshot(page, 'chip');
    await page.close();
  });

  it('draws the discs of an earlier verdict chosen in the history, from the receipts behind it', async () => {
    const page = await signIn(browser, world.url, world.tokens.admin, '#/chips/GPU-1');
    await page.locator('path.feasible').waitFor();
    // The first check-in: one landmark 30 ms away.
    await page.locator('.history-chart a.dot-link').first().click();
    await page.waitForURL(/#\/chips\/GPU-1\?verdict=\d+$/);
    await page.locator('[data-testid="earlier-verdict"]').waitFor();
    await expect.poll(() => page.locator('path.disc').count()).toBe(1);
    expect(await page.locator('path.disc').getAttribute('data-landmark')).toBe('KUL');
    expect(await page.locator('.evidence-table tbody tr').count()).toBe(1);
    expect(await page.locator('.history-chart circle.dot.selected').count()).toBe(1);
    // The third: two landmarks.
    await page.locator('.history-chart a.dot-link').nth(2).click();
    await expect.poll(() => page.locator('path.disc').count()).toBe(2);
    await page.close();
  });

  it('tells when the evidence contradicts physics', async () => {
    const page = await signIn(browser, world.url, world.tokens.admin, '#/chips/GPU-5');
    await page.locator('.verdict.big[data-verdict="inconsistent"]').waitFor();
    await page.getByText('The discs share no point').waitFor();
    expect(await page.locator('path.feasible').count()).toBe(0);
    await page.close();
  });
});

describe('roles', () => {
  it('an operator sees only its own chips and cannot open another end user’s chip', async () => {
    const page = await signIn(browser, world.url, world.tokens.operatorSg);
    await page.locator('a.cluster').first().waitFor();
    const ids = await page.$$eval('.chips-table tbody tr td:first-child', (tds) =>
      tds.map((t) => t.textContent),
    );
    expect(ids.sort()).toEqual(['SG-1', 'SG-2', 'SG-9']);
    await page.goto(`${world.url}/#/chips/GPU-1`);
    await page.locator('.state.error').waitFor();
    expect(await page.locator('.state.error').textContent()).toContain('FORBIDDEN');
    expect(await page.locator('path.disc').count()).toBe(0);
    await screenshot(page, 'operator-forbidden');
    await page.close();
  });

  it('an exporter sees no round-trip times where the end user does not disclose them', async () => {
    const page = await signIn(browser, world.url, world.tokens.exporter, '#/chips/SG-1');
    await page.locator('.verdict.big').waitFor();
    await page.getByText('does not disclose this chip’s round-trip times').waitFor();
    expect(await page.locator('path.disc').count()).toBe(0);
    await page.close();
  });

  it('refuses an unknown token at sign-in', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${world.url}/`);
    await page.getByLabel('API token').fill('ga_notarealtokenatall');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('This token is unknown or revoked.').waitFor();
    await screenshot(page, 'sign-in');
    await page.close();
  });
});

describe('licences, log and coverage', () => {
  it('shows utilisation, validity, revenue share and shipments', async () => {
    const page = await signIn(browser, world.url, world.tokens.exporter, '#/licences?licence=L-MY-1');
    await page.locator('.licences-table').waitFor();
    expect(await page.locator('.licences-table tbody tr').count()).toBe(2);
    await expect.poll(() => page.locator('.revenue-table tbody tr').count()).toBe(2);
    expect(await page.locator('.revenue-table').textContent()).toContain('$18,750.00');
    expect(await page.locator('path.country.destination.selected').count()).toBeGreaterThan(0);
    await screenshot(page, 'licences');
    await page.close();
  });

  it('shows the log’s checkpoint and verifies a chip’s verdicts in it (test/web/log-page.test.ts has the rest)', async () => {
    const page = await signIn(browser, world.url, world.tokens.auditor, '#/log?chip=GPU-1');
    await page.locator('[data-testid="log-size"]').waitFor();
    expect(await page.locator('.signatures-table tbody tr').count()).toBe(2);
    await expect
      .poll(() => page.locator('.result[data-check="inclusion"]').first().getAttribute('class'), {
        timeout: 20_000,
      })
      .toContain('ok');
    await screenshot(page, 'log');
    await page.close();
  });

  it('shades the coverage of the current landmarks', async () => {
    const page = await signIn(browser, world.url, world.tokens.auditor, '#/coverage?step=1');
    await page.locator('path.coverage').first().waitFor({ timeout: 60_000 });
    const country = Number(await page.locator('li[data-level="country"] .count').textContent());
    const none = Number(await page.locator('li[data-level="none"] .count').textContent());
    expect(country).toBeGreaterThan(0);
    expect(none).toBeGreaterThan(country);
    await screenshot(page, 'coverage');
    await page.close();
  });
});

describe('alerts', () => {
  it('shows a diversion alert live when a receipt proves a chip outside, and acknowledges it', async () => {
    const page = await signIn(browser, world.url, world.tokens.exporter, '#/alerts');
    await page.locator('.feed-state.live').waitFor();
    const before = await page.locator('li.alert').count();
    // The Shenzhen landmark submits a receipt for SG-9 (licensed to Singapore): 0.2 ms from Shenzhen.
    const res = await fetch(`${world.url}/v1/receipts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${world.tokens.landmarkSzx}`, 'content-type': 'application/json' },
      body: JSON.stringify({ receipts: [world.receipt('SZX', 'SG-9', 0.2)] }),
    });
    expect(res.status).toBe(200);
    const fresh = page.locator('li.alert.fresh[data-kind="diversion"]');
    await fresh.waitFor({ timeout: 20_000 });
    expect(await page.locator('li.alert').count()).toBe(before + 1);
    expect(await fresh.locator('a', { hasText: 'Chip SG-9' }).getAttribute('href')).toBe('#/chips/SG-9');
    await screenshot(page, 'alerts');

    await fresh.getByLabel('Note (what was done)').fill('Called SG Cloud; chip recalled for inspection');
    await fresh.getByRole('button', { name: 'Acknowledge' }).click();
    await fresh.locator('.acked').waitFor();
    expect(await fresh.locator('.acked').textContent()).toContain('Exporter compliance');
    const id = Number(await fresh.getAttribute('data-alert-id'));
    const stored = await world.verifier.alerts.get(id);
    expect(stored.acknowledged?.note).toBe('Called SG Cloud; chip recalled for inspection');
    await page.close();
  });

  it('filters alerts by kind', async () => {
    const page = await signIn(browser, world.url, world.tokens.admin, '#/alerts?kind=landmark-integrity');
    await page.locator('li.alert').first().waitFor();
    const kinds = await page.$$eval('li.alert', (lis) => lis.map((l) => l.getAttribute('data-kind')));
    expect(new Set(kinds)).toEqual(new Set(['landmark-integrity']));
    await page.close();
  });
});

describe('the page as a whole', () => {
  it('reads at phone width without sideways scrolling', async () => {
    const page = await signIn(browser, world.url, world.tokens.admin);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('a.cluster').first().waitFor();
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'fleet-phone');
    await page.goto(`${world.url}/#/chips/GPU-1`);
    await page.locator('path.feasible').waitFor();
    await screenshot(page, 'chip-phone');
    await page.close();
  });

  it('is reachable from the keyboard alone', async () => {
    const page = await signIn(browser, world.url, world.tokens.admin);
    await page.locator('a.cluster').first().waitFor();
    await page.locator('.skip-link').focus();
    const focused: string[] = [];
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press('Tab');
      focused.push(String(await page.evaluate("document.activeElement?.textContent?.trim() ?? ''")));
    }
    expect(focused.some((t) => t.startsWith('Alerts'))).toBe(true);
    await page.locator('#nav a', { hasText: 'Licences' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/licences/);
    await page.close();
  });

  it('never asked another host for anything, and threw no errors', () => {
    const origin = new URL(world.url).origin;
    const foreign = browser.requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:'));
    expect(foreign).toEqual([]);
    expect(browser.errors).toEqual([]);
  });
});
