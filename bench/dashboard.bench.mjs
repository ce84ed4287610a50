// bench/dashboard: how soon the overview page is usable against a 40,000-pool database, in Debian's chromium
// (playwright-core, the e2e tests' flags), from the real service process over loopback HTTP.
//   baseline   the same shell's sign-in page (every script and style, GET /api/v1/session answering 401): what any
//              page costs before it asks for data;
//   overview   a signed-in load of /ui/ until the status figures are on screen (the page is then interactive: its
//              navigation and controls are rendered and the main thread is idle — longest task reported), the
//              trend chart and the oldest images table, each from the navigation's start (performance.now()).
// The first overview is the first look straight after `serve` listens (nothing asked for yet, the trend still being
// prepared in the background); then 5 more, median reported.
// Target: overview interactive <= 1 s, on the first look and the median; ratio to the baseline printed.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { consoleHistory } from './history.mjs';
import { rssMB, startServe } from './serve.mjs';

const CHROMIUM = '/usr/bin/chromium';
const DAYS = Number(process.env.BENCH_DAYS ?? 14);
const LOADS = 5;
const TARGET_MS = 1000;

if (!existsSync(CHROMIUM)) {
  console.log(`FAIL this bench drives Debian's chromium at ${CHROMIUM}: apt-get install chromium (as .ci/run does for npm run test:e2e)`);
  process.exit(1);
}

// Records, in the page, when each marker first appears (ms since navigation start) and the longest main-thread task.
// Added through the debugging protocol, so the page's own CSP (no inline script) is untouched.
const MARKERS = {
  figures: '[data-testid="total"]',
  trend: '[data-testid="trend-chart"], [data-testid="trend-table"]',
  oldest: '[data-testid="oldest"], [data-testid="oldest-empty"]',
  signIn: '#api-key',
};
const RECORDER = `(() => {
  const markers = ${JSON.stringify(MARKERS)};
  const seen = {};
  window.__bench = { seen, longestTaskMs: 0 };
  const look = () => { for (const [name, selector] of Object.entries(markers)) if (!(name in seen) && document.querySelector(selector)) seen[name] = performance.now(); };
  new MutationObserver(look).observe(document, { childList: true, subtree: true });
  try {
    new PerformanceObserver((list) => { for (const entry of list.getEntries()) window.__bench.longestTaskMs = Math.max(window.__bench.longestTaskMs, entry.duration); }).observe({ type: 'longtask', buffered: true });
  } catch {}
})();`;

const reused = process.env.BENCH_DATA ?? null;
const dir = reused ?? mkdtempSync(join(tmpdir(), 'imagewarden-bench-dashboard-'));
const dataDir = reused ?? join(dir, 'data');
let server = null;
let browser = null;
try {
  const { key, description } = consoleHistory({ dataDir, reuse: reused !== null, days: DAYS, everyHours: 6 });
  console.log(`fleet: ${description}`);
  const started = performance.now();
  server = await startServe({ dataDir });
  console.log(`serve: ${server.url}, listening ${seconds(performance.now() - started)} s after start, RSS ${rssMB(server.pid).toFixed(1)} MB`);

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const newPage = async (cookie) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(RECORDER);
    if (cookie) await context.addCookies([{ ...cookie, url: server.url }]);
    return context.newPage();
  };

  // The first look comes straight after serve listens (while it prepares the trend in the background): signed in
  // through the API as the sign-in page would, so nothing else reaches serve first.
  const signedIn = await newPage(await signIn(server.url, key));
  const loads = [await load(signedIn, `${server.url}/ui/`, 'figures', ['trend', 'oldest'])];
  // Baseline: the sign-in page without a session (once to warm chromium's caches, then LOADS times).
  const anonymous = await newPage(null);
  const baselines = [];
  for (let i = 0; i < LOADS + 1; i++) baselines.push(await load(anonymous, `${server.url}/ui/`, 'signIn'));
  const baseline = median(baselines.slice(1).map((timing) => timing.signIn));
  for (let i = 0; i < LOADS; i++) loads.push(await load(signedIn, `${server.url}/ui/`, 'figures', ['trend', 'oldest']));
  const longTasksObserved = await signedIn.evaluate(() => PerformanceObserver.supportedEntryTypes.includes('longtask'));
  const [first, ...warm] = loads;
  const figures = median(warm.map((timing) => timing.figures));
  const row = (name, timing) =>
    `${name.padEnd(11)} figures ${ms(timing.figures)}, oldest ${ms(timing.oldest)}, trend ${ms(timing.trend)}; longest main-thread task over 50 ms: ${longTasksObserved ? ms(timing.longestTaskMs) : 'not observable'}`;
  console.log(`baseline    sign-in page ${ms(baseline)} (median of ${LOADS})`);
  console.log(row('first look', first));
  for (const [i, timing] of warm.entries()) console.log(row(`load ${i + 1}`, timing));
  console.log(`median      figures ${ms(figures)} (ratio to baseline ${(figures / baseline).toFixed(2)}), trend ${ms(median(warm.map((t) => t.trend)))}, oldest ${ms(median(warm.map((t) => t.oldest)))}`);
  console.log(`serve RSS after: ${rssMB(server.pid).toFixed(1)} MB`);

  const checks = [
    [`overview interactive on the first look after start <= ${TARGET_MS} ms (${ms(first.figures)})`, first.figures <= TARGET_MS],
    [`overview interactive, median of ${LOADS} loads <= ${TARGET_MS} ms (${ms(figures)})`, figures <= TARGET_MS],
  ];
  for (const [name, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'} ${name}`);
  process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
} finally {
  if (browser) await browser.close();
  if (server) await server.stop();
  if (process.env.BENCH_KEEP) console.log(`kept ${dir} (BENCH_DATA=${dataDir} reuses its history)`);
  else if (reused === null) rmSync(dir, { recursive: true, force: true });
}
process.exit(process.exitCode ?? 0);

/** A session cookie for `key`, from POST /api/v1/session (what the sign-in page does), in playwright's shape. */
async function signIn(url, key) {
  const response = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { authorization: `Bearer ${key}`, origin: url, 'content-type': 'application/json' }, body: '{}' });
  if (response.status !== 201) throw new Error(`sign-in answered ${response.status}: ${await response.text()}`);
  const [pair] = response.headers.get('set-cookie').split(';');
  const [name, value] = pair.split('=');
  return { name, value };
}

/** Navigates to `url` and waits for `until` (and then `also`) to appear; their times from the navigation's start. */
async function load(page, url, until, also = []) {
  await page.goto(url, { waitUntil: 'commit' });
  for (const name of [until, ...also]) await page.waitForFunction((marker) => marker in window.__bench.seen, name, { timeout: 120_000 });
  // The longest task is read a moment later, so a task still running when the markers appeared is counted.
  await page.waitForTimeout(100);
  return page.evaluate(() => ({ ...window.__bench.seen, longestTaskMs: window.__bench.longestTaskMs }));
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function ms(value) {
  return value === undefined ? '—' : `${Math.round(value)} ms`;
}

function seconds(value) {
  return (value / 1000).toFixed(1);
}
