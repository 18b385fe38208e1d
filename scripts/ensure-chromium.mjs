#!/usr/bin/env node
// Makes sure a Chromium is there for test/browser.test.ts, printing one line:
// /usr/bin/chromium (or GRU_CHROMIUM) if present, else Debian's `chromium`
// installed with apt-get (needs root; about 20 s on a fresh Debian 12 machine).
// When it cannot, it says why and exits 0, so that the browser test itself
// fails with its message; GRU_REQUIRE_BROWSER=1 makes this script fail instead.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const DEFAULT = '/usr/bin/chromium';
const wanted = process.env.GRU_CHROMIUM || DEFAULT;
const strict = process.env.GRU_REQUIRE_BROWSER === '1';
const say = (msg) => console.log(`ensure-chromium: ${msg}`);

function giveUp(why) {
  say(`${why}; the browser test (test/browser.test.ts) will fail without it${strict ? '' : ' (set GRU_REQUIRE_BROWSER=1 to stop here)'}`);
  process.exit(strict ? 1 : 0);
}

if (existsSync(wanted)) {
  say(`${wanted} is present`);
  process.exit(0);
}
if (wanted !== DEFAULT) giveUp(`GRU_CHROMIUM=${wanted} does not exist`);
if (process.platform !== 'linux') giveUp(`no ${DEFAULT}, and installing Chromium is only automated on Debian/Ubuntu; set GRU_CHROMIUM to a Chromium or Chrome binary`);
if (typeof process.getuid === 'function' && process.getuid() !== 0) {
  giveUp(`no ${DEFAULT}, and installing it needs root: sudo apt-get install --no-install-recommends chromium (or set GRU_CHROMIUM)`);
}
if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) {
  giveUp(`no ${DEFAULT} and no apt-get to install it with; set GRU_CHROMIUM to a Chromium or Chrome binary`);
}

const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const apt = (args) => spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], { env, encoding: 'utf8' });
const t0 = Date.now();
let r = apt(['install', '-y', '--no-install-recommends', 'chromium']);
if (r.status !== 0) {
  // Stale or missing package lists: refresh them once and try again.
  const u = apt(['update']);
  if (u.status === 0) r = apt(['install', '-y', '--no-install-recommends', 'chromium']);
  else r = u;
}
if (r.status !== 0 || !existsSync(DEFAULT)) {
  const tail = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').slice(-3).join(' | ');
  giveUp(`apt-get install chromium failed (${r.error?.message ?? `exit ${r.status}`}: ${tail})`);
}
say(`installed Debian chromium at ${DEFAULT} with apt-get in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
