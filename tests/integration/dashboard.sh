#!/usr/bin/env bash
# The dashboard in headless Chromium (Debian's chromium driven by playwright-core)
# during a simulated night: zone states and plots update over time and between
# two loads, a decision opens its trace, the evidence table says "not available
# yet", the register lists every sensor; a screenshot goes to tests/out/.
source "$(dirname "$0")/lib.sh"
HARNESS="$ROOT/$BUILD/tests/http/test_http"
[ -x "$HARNESS" ] || fail "$HARNESS is not built"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || skip "no Chromium at $CHROMIUM (Debian package chromium)"
command -v node >/dev/null || skip "node is not installed (Debian package nodejs)"
MODS="$ROOT/web/node_modules"
[ -f "$MODS/playwright-core/package.json" ] && [ -f "$MODS/uplot/dist/uPlot.iife.min.js" ] ||
    skip "web/node_modules is missing: run 'npm ci --prefix web'"
OUT="$ROOT/tests/out"
mkdir -p "$OUT"
cd "$TMP"

# The web root exactly as the Makefile's web rule lays it out (page + vendor/).
mkdir -p web/vendor
cp "$ROOT"/web/index.html "$ROOT"/web/app.js "$ROOT"/web/style.css "$ROOT"/web/favicon.svg web/
cp "$MODS/uplot/dist/uPlot.iife.min.js" "$MODS/uplot/dist/uPlot.min.css" web/vendor/

# A night of 8 h in 120 s: the first load sees the early evening, the second a
# livelier street.
"$HARNESS" --serve "$TMP" --web "$TMP/web" --speed 240 >serve.out 2>serve.err &
PIDS+=($!)
wait_for 10 grep -q '^port ' serve.out || fail "the server did not start: $(cat serve.err)"
PORT=$(awk '/^port /{print $2}' serve.out)

cat >dash.js <<'JS'
// Drives the page; prints "ok: ..." lines, throws on the first failed check.
const { chromium } = require(process.env.MODS + '/playwright-core');
const url = process.env.URL, shot = process.env.SHOT;
const STATES = ['calm', 'lively', 'tense', 'escalating', 'incident'];
const check = (cond, what) => { if (!cond) throw new Error('check failed: ' + what); };

// Everything the test reads from the page, through the DOM.
const snapshot = (page) => page.evaluate(() => ({
  now: Number(document.querySelector('#clock').dataset.now),
  clock: document.querySelector('#clock').textContent,
  zones: [...document.querySelectorAll('#map g.zone')].map((g) => ({
    id: g.dataset.zone, state: g.dataset.state, fill: g.querySelector('rect.block').getAttribute('fill'),
    people: g.querySelector('text.people').textContent })),
  points: Number(document.querySelector('#charts').dataset.points),
  last: Number(document.querySelector('#charts').dataset.last),
  plots: document.querySelectorAll('#charts .uplot canvas').length,
  log: document.querySelectorAll('#log tr.transition').length,
  devices: document.querySelectorAll('#devices tbody tr').length,
  evidence: document.querySelector('#evidence').textContent,
  sse: document.querySelector('#sse').dataset.status,
  audit: document.querySelector('#audit').textContent,
}));

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const errors = [];
  const open = async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1250 } });
    page.on('pageerror', (e) => errors.push(String(e)));
    // Outside requests would mean a CDN or tracker: the page must work offline.
    page.on('request', (r) => { if (!r.url().startsWith(url)) errors.push('outside request ' + r.url()); });
    await page.goto(url + '/');
    await page.waitForSelector('body[data-ready="1"]', { timeout: 20000 });
    return page;
  };

  // First load, early in the night.
  const p1 = await open();
  await p1.waitForFunction(() => document.querySelector('#sse').dataset.status === 'open', null, { timeout: 10000 });
  const a = await snapshot(p1);
  check(a.zones.length === 5, `5 zones on the map (got ${a.zones.length})`);
  check(a.zones.every((z) => STATES.includes(z.state) && /^#/.test(z.fill)), 'every zone has a state colour');
  check(a.zones.every((z) => /^\d+ people$/.test(z.people)), 'people shown as counts');
  check(a.plots === 3, `three plots (got ${a.plots})`);
  check(a.points > 0, 'the plots have points');
  check(a.devices === 10, `10 devices (got ${a.devices})`);
  check(/not available yet/.test(a.evidence), 'evidence says not available yet');
  console.log(`ok: first load at ${a.clock}: ${a.zones.map((z) => z.id + ' ' + z.state).join(', ')}; ${a.points} minutes plotted`);

  // The same page, live: the clock, the map and the plots move without a reload.
  await p1.waitForFunction((t) => Number(document.querySelector('#clock').dataset.now) > t + 600, a.now, { timeout: 20000 });
  await p1.waitForFunction((n) => Number(document.querySelector('#charts').dataset.points) > n, a.points, { timeout: 20000 });
  const b = await snapshot(p1);
  console.log(`ok: live updates: clock ${a.clock} -> ${b.clock}, minutes ${a.points} -> ${b.points}`);

  // Wait for a livelier street (22:45 street time or later), then load again.
  await p1.waitForFunction(() => {
    const t = Number(document.querySelector('#clock').dataset.now);
    return [...document.querySelectorAll('#map g.zone')].some((g) => g.dataset.state !== 'calm') &&
      document.querySelectorAll('#log tr.transition').length > 0 && t > 0;
  }, null, { timeout: 90000 });
  await p1.close();
  const p2 = await open();
  await p2.waitForFunction(() => Number(document.querySelector('#charts').dataset.points) > 0, null, { timeout: 10000 });
  const c = await snapshot(p2);
  check(c.now > a.now, 'engine time advanced between loads');
  check(c.points > a.points, `more minutes plotted on the second load (${a.points} -> ${c.points})`);
  check(c.log > 0, 'the decision log lists transitions');
  const changed = c.zones.filter((z, i) => z.state !== a.zones[i].state || z.fill !== a.zones[i].fill);
  check(changed.length > 0, 'some zone changed state between loads');
  console.log(`ok: second load at ${c.clock}: ${c.zones.map((z) => z.id + ' ' + z.state).join(', ')}; ` +
    `${changed.length} zone(s) changed; ${c.log} decisions`);

  // A decision opens its trace.
  await p2.click('#log tr.transition');
  await p2.waitForSelector('#log .trace .rule', { timeout: 5000 });
  const rule = await p2.textContent('#log .trace .rule');
  check(/score/.test(rule), 'the trace shows the rule sentence');
  const terms = await p2.$$eval('#log .trace dt', (dts) => dts.map((d) => d.textContent));
  check(['crowd', 'noise', 'events', 'trend', 'threshold'].every((k) => terms.includes(k)), 'trace terms shown');
  console.log(`ok: trace opened: "${rule}"`);
  await p2.waitForTimeout(500);
  await p2.screenshot({ path: shot, fullPage: true });

  // The public register, without login.
  const r = await browser.newPage();
  await r.goto(url + '/register');
  const rows = await r.$$eval('tbody tr', (trs) => trs.map((t) => t.textContent));
  check(rows.length === 10, `register lists 10 sensors (got ${rows.length})`);
  check(rows.every((t) => /No (audio|images)/.test(t)), 'register says what is not recorded');
  console.log('ok: register lists 10 sensors');

  check(errors.length === 0, 'no page errors: ' + errors.join('; '));
  await browser.close();
})().catch((e) => { console.error(e.message || e); process.exit(1); });
JS

URL="http://127.0.0.1:$PORT" SHOT="$OUT/dashboard.png" MODS="$MODS" CHROMIUM="$CHROMIUM" \
    timeout 180 node dash.js || fail "browser checks failed (server log: $(tail -3 serve.err))"
[ -s "$OUT/dashboard.png" ] || fail "no screenshot"
ok "screenshot: tests/out/dashboard.png"
