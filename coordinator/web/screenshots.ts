/**
 * The README's two screenshots of the web page, made from the demo's data
 * (run by hand, not by the tests):
 *
 *   npm run demo -- --serve            # prints: demo: web page http://127.0.0.1:PORT/ui/#token=...
 *   node dist/coordinator/web/screenshots.js 'http://127.0.0.1:PORT/ui/#token=...'
 *
 * Drives the page as a researcher would (Debian chromium, headless): the
 * allele frequency by super_pop over the MTHFR window, then the EUR vs EAS
 * association over the demo's chr1 span, and saves each plot's figure as
 * coordinator/web/screenshots/af-track.png and manhattan.png.
 */
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { packageRoot } from '../demo/consortium.js';

/** The demo's MTHFR file spans these positions (test/fixtures/vcf/1kg_dev/genotype_plot_chr1_MTHFR_2504.vcf.gz). */
const MTHFR_WINDOW = '1:11697036-11836540';
/** The demo's one chr1 region: both shipped files, from the first to the last position. */
const DEMO_CHR1 = '1:10177-11836540';

async function run(page: Page, fill: Record<string, string>, check?: string): Promise<void> {
  for (const [selector, value] of Object.entries(fill)) await page.fill(selector, value);
  if (check) await page.check(check);
  await page.press('#region', 'Enter');
  // Strings, not functions: they run in the page, and the server tsconfig has no DOM types.
  await page.waitForFunction("['done', 'error'].includes(document.body.dataset.state)", null, { timeout: 600_000 });
  const status = await page.textContent('#status-text');
  if (!status?.startsWith('Done')) throw new Error(`the page says: ${status}`);
}

async function main(): Promise<void> {
  const url = process.argv[2];
  if (!url || !/^https?:\/\/[^/]+\/ui\/#token=/.test(url)) {
    process.stderr.write('usage: node dist/coordinator/web/screenshots.js \'http://HOST:PORT/ui/#token=...\' (the link `genofed demo --serve` prints)\n');
    process.exitCode = 2;
    return;
  }
  const out = join(packageRoot(), 'coordinator', 'web', 'screenshots');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, deviceScaleFactor: 1 });
    await page.goto(url);
    await page.waitForFunction("document.body.dataset.ready === 'true'");
    await run(page, { '#region': MTHFR_WINDOW }, 'input[name=by][value=super_pop]');
    await page.locator('figure:has(#plot-af)').screenshot({ path: join(out, 'af-track.png') });
    await page.selectOption('#kind', 'association');
    await run(page, { '#region': DEMO_CHR1, '#cases': "super_pop = 'EUR'", '#controls': "super_pop = 'EAS'" });
    await page.locator('figure:has(#plot-manhattan)').screenshot({ path: join(out, 'manhattan.png') });
    process.stderr.write(`wrote ${join(out, 'af-track.png')} and manhattan.png\n`);
  } finally {
    await browser.close();
  }
}

await main();
