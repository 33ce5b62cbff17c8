// Opens the report of a teaching scenario in headless Chromium (from disk,
// file:// URL, no network) and checks it against the command line:
// no console errors; stepping to decision 9 shows the narration that
// `ecsim explain --task 9` prints and highlights the instance it names;
// moving the time slider shows on each instance the number of tasks that
// tasks.csv has holding a place there at that time; a day of a 5,000-instance
// cluster gives a page under 20 MB that loads in under 3 s. Screenshots go to
// $ARTIFACTS (default tests/browser/artifacts).
//
//   node tests/browser/report.test.js            (from the repository root,
//                                                 after cargo build --release)
// Environment: ECSIM (binary, default target/release/ecsim), CHROMIUM
// (default /usr/bin/chromium), ARTIFACTS.
'use strict';
const { chromium } = require('playwright-core');
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ECSIM = process.env.ECSIM || 'target/release/ecsim';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = process.env.ARTIFACTS || path.join(__dirname, 'artifacts');
const SCENARIO = 'scenarios/teaching/spread-az-instance.toml';
const OTHER = 'scenarios/teaching/binpack.toml';

let failures = 0;
function check(ok, what) {
  console.log((ok ? 'ok   ' : 'FAIL ') + what);
  if (!ok) failures++;
}
function ecsim(args) {
  return execFileSync(ECSIM, args, { encoding: 'utf8' });
}

// tasks.csv rows as objects (no quoted fields in these columns).
function readTasks(file) {
  const [head, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const cols = head.split(',');
  return lines.map((l) => {
    const v = l.split(',');
    const o = {};
    cols.forEach((c, i) => { o[c] = v[i]; });
    return o;
  });
}
// Tasks holding a place on each instance at time t: PENDING at or before
// t and not STOPPED by t.
function countsAt(tasks, t) {
  const n = {};
  for (const r of tasks) {
    if (!r.instance_id || r.pending_s === '') continue;
    if (Number(r.pending_s) > t) continue;
    if (r.stopped_s !== '' && Number(r.stopped_s) <= t) continue;
    n[r.instance_id] = (n[r.instance_id] || 0) + 1;
  }
  return n;
}

async function main() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ecsim-report-'));
  const run = path.join(tmp, 'spread');
  const other = path.join(tmp, 'binpack');
  ecsim(['run', SCENARIO, '--out', run]);
  ecsim(['run', OTHER, '--out', other]);
  ecsim(['report', run]);
  ecsim(['report', other, run, '--out', path.join(tmp, 'side-by-side.html')]);
  const page1 = path.join(run, 'report.html');
  const bytes = fs.statSync(page1).size;
  check(bytes < 1024 * 1024, `teaching report is under 1 MB (${bytes} bytes)`);
  const again = path.join(tmp, 'again.html');
  ecsim(['report', run, '--out', again]);
  check(fs.readFileSync(again).equals(fs.readFileSync(page1)), 'the same folder gives the same bytes');
  const explained = ecsim(['explain', SCENARIO, '--task', '9']).replace(/\s+$/, '');

  const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'ecsim-chromium-'));
  // A fresh profile each time.
  const browser = await chromium.launchPersistentContext(userData, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1600, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    const requests = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url()); });
    const t0 = Date.now();
    await page.goto('file://' + page1, { waitUntil: 'load' });
    await page.waitForSelector('.run .inst');
    const loadMs = Date.now() - t0;
    check(loadMs < 3000, `loads in under 3 s (${loadMs} ms)`);

    // Decision 9, stepped to with the button.
    for (let k = 0; k < 9; k++) await page.click('#next');
    const decnum = await page.textContent('#decnum');
    check(/^decision 9 of /.test(decnum), `the controls show decision 9 (${decnum})`);
    const head = await page.textContent('.run[data-run="0"] .dec-head');
    const text = await page.textContent('.run[data-run="0"] .dec-text');
    const shown = (head + '\n' + text).replace(/\s+$/, '');
    check(shown === explained, 'decision 9 reads as `ecsim explain --task 9` prints it');
    if (shown !== explained) console.log('--- page:\n' + shown + '\n--- explain:\n' + explained);
    const chosen = await page.$$eval('.run[data-run="0"] .inst.chosen', (g) => g.map((e) => ({
      id: e.getAttribute('data-id'), az: e.getAttribute('data-az'), title: e.querySelector('title').textContent,
    })));
    const m = /=> placed on (\S+) \(([^,]+), ([^,]+),/.exec(explained);
    check(chosen.length === 1 && m !== null, 'one instance is highlighted and explain names one');
    if (chosen.length === 1 && m) {
      const [, name, type, az] = m;
      // explain names the instance by its EC2 id (or, in older versions, by
      // its container-instance name: then its type and AZ must match).
      if (name.startsWith('i-')) check(chosen[0].id === name, `highlighted ${chosen[0].id} is ${name}`);
      check(chosen[0].az === az && chosen[0].title.includes(' ' + type + ' '),
        `highlighted instance is the ${type} in ${az} (${chosen[0].title})`);
    }
    await page.screenshot({ path: path.join(ARTIFACTS, 'report-decision-9.png'), fullPage: true });
    // The same decision reached by number.
    await page.locator('#slider').fill('0');
    await page.locator('#goto').fill('9');
    await page.locator('#goto').dispatchEvent('change');
    const again9 = await page.textContent('.run[data-run="0"] .dec-head');
    check(again9 === head, `"Go to decision 9" shows decision 9 (${again9})`);

    // The time slider against tasks.csv.
    const tasks = readTasks(path.join(run, 'tasks.csv'));
    for (const t of [600, 2 * 3600 + 1234, 5 * 3600 + 17, 6 * 3600 + 45]) {
      await page.locator('#slider').fill(String(t));
      const boxes = await page.$$eval('.run[data-run="0"] .inst', (g) => g.map((e) => [e.getAttribute('data-id'), Number(e.getAttribute('data-tasks'))]));
      const want = countsAt(tasks, t);
      const got = {};
      for (const [id, n] of boxes) if (n) got[id] = n;
      const same = JSON.stringify(Object.entries(got).sort()) === JSON.stringify(Object.entries(want).sort());
      const total = Object.values(want).reduce((a, b) => a + b, 0);
      check(same, `at t=${t}s the tasks per instance match tasks.csv (${total} tasks on ${Object.keys(want).length} instances)`);
      if (!same) console.log('page', got, 'tasks.csv', want);
    }
    await page.screenshot({ path: path.join(ARTIFACTS, 'report-slider.png'), fullPage: true });

    // The scale-in at 06:00 (desired 15 -> 4): clicking its event lists the
    // tasks stopped in the two minutes after it, as tasks.csv has them.
    await page.click('.run[data-run="0"] .events li:has-text("desired count set to 4")');
    const stoppedShown = await page.$$eval('.run[data-run="0"] .moves li', (l) => l.map((e) => e.textContent)
      .filter((x) => x.includes(' stopped on ')).map((x) => /^task (\d+) .* stopped on (\S+)/.exec(x).slice(1, 3).join(' ')));
    const scaleIn = 6 * 3600;
    const stoppedCsv = tasks.filter((r) => {
      const s = r.stopping_s !== '' ? Number(r.stopping_s) : r.stopped_s !== '' ? Number(r.stopped_s) : null;
      return r.instance_id && s !== null && s >= scaleIn && s <= scaleIn + 130;
    }).map((r) => r.task_id + ' ' + r.instance_id).slice(0, 25);
    check(stoppedShown.length > 0 && JSON.stringify(stoppedShown.sort()) === JSON.stringify(stoppedCsv.sort()),
      `the scale-in event lists the ${stoppedCsv.length} tasks stopped then, on their instances`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'report-scale-in.png'), fullPage: false });

    // Side by side: both columns, one clock.
    await page.goto('file://' + path.join(tmp, 'side-by-side.html'), { waitUntil: 'load' });
    await page.waitForSelector('.run[data-run="1"] .inst');
    for (let k = 0; k < 9; k++) await page.click('#next');
    const heads = await page.$$eval('.run .dec-head', (e) => e.map((x) => x.textContent));
    check(heads.length === 2 && heads.every((h) => h.startsWith('decision 9 at ')), 'side by side: both runs at decision 9');
    await page.screenshot({ path: path.join(ARTIFACTS, 'report-side-by-side.png'), fullPage: false });

    // Size and speed: a day of a 5,000-instance cluster (the teaching
    // workload scaled up: 145k tasks).
    const big = path.join(tmp, 'big');
    const scale = ['--set', 'instanceGroups.nodes.count=5000', '--set', 'duration="24h"',
      '--set', 'batchJobs.reports.arrivals.perHour=6000'];
    ecsim(['run', OTHER, '--out', big, ...scale]);
    ecsim(['report', big, ...scale]);
    const bigBytes = fs.statSync(path.join(big, 'report.html')).size;
    check(bigBytes < 20 * 1024 * 1024, `5,000-instance day: under 20 MB (${(bigBytes / 1048576).toFixed(1)} MB)`);
    const t1 = Date.now();
    await page.goto('file://' + path.join(big, 'report.html'), { waitUntil: 'load' });
    await page.waitForSelector('.run .inst');
    const bigMs = Date.now() - t1;
    check(bigMs < 3000, `5,000-instance day: loads in under 3 s (${bigMs} ms)`);
    const n = await page.$$eval('.run .inst', (g) => g.length);
    check(n === 5000, `5,000-instance day: 5000 instances drawn (${n})`);
    await page.locator('#slider').fill(String(12 * 3600));
    const boxes = await page.$$eval('.run .inst', (g) => g.map((e) => [e.getAttribute('data-id'), Number(e.getAttribute('data-tasks'))]));
    const want = countsAt(readTasks(path.join(big, 'tasks.csv')), 12 * 3600);
    const bad = boxes.filter(([id, k]) => (want[id] || 0) !== k).length;
    check(bad === 0, `5,000-instance day: tasks per instance at 12:00 match tasks.csv (${bad} differ)`);

    check(errors.length === 0, 'no console errors' + (errors.length ? ': ' + errors.join(' | ') : ''));
    check(requests.length === 0, 'no network request' + (requests.length ? ': ' + requests.join(' ') : ''));
  } finally {
    await browser.close();
  }
  if (failures) {
    console.error(`report browser test: ${failures} check(s) failed`);
    process.exit(1);
  }
  console.log('report browser test: all checks passed');
}

main().catch((e) => { console.error(e); process.exit(1); });
