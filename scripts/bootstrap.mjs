#!/usr/bin/env node
// Makes a fresh clone runnable: installs node modules when missing and a nats-server binary when missing
// (Debian's package, via apt-get when we are root or have passwordless sudo). With --chromium it also
// installs Debian's chromium for the browser tests. Uses only Node's standard library: it runs before
// `npm install`.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const wantChromium = process.argv.includes('--chromium');
const say = (msg) => process.stderr.write(`[bootstrap] ${msg}\n`);

// package.json "engines": the one-shot crypto.hash (API keys) arrived in 20.12.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 12)) {
  say(`Node ${process.versions.node} is too old: this project needs Node 20.12 or newer (see package.json "engines").`);
  process.exit(1);
}

function onPath(bin, extra = []) {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), ...extra]) {
    if (!dir) continue;
    try {
      accessSync(join(dir, bin), constants.X_OK);
      return join(dir, bin);
    } catch {}
  }
  return undefined;
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root });
  return r.status === 0;
}

function modulesStale() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(marker)) return true;
  return statSync(join(root, 'package.json')).mtimeMs > statSync(marker).mtimeMs + 1000;
}

if (modulesStale()) {
  say('installing node modules …');
  const ci = existsSync(join(root, 'package-lock.json'));
  if (!run('npm', [ci ? 'ci' : 'install', '--no-audit', '--no-fund'])) {
    say('npm install failed');
    process.exit(1);
  }
}

let aptUpdated = false;
function aptInstall(pkg) {
  const isRoot = process.getuid?.() === 0;
  const sudo = isRoot ? [] : onPath('sudo') && spawnSync('sudo', ['-n', 'true']).status === 0 ? ['sudo', '-n'] : undefined;
  if (!sudo || !onPath('apt-get')) return false;
  const wrap = (args) => (sudo.length ? run(sudo[0], [...sudo.slice(1), ...args]) : run(args[0], args.slice(1)));
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  Object.assign(process.env, env);
  if (!aptUpdated) {
    say('apt-get update …');
    wrap(['apt-get', 'update', '-qq']);
    aptUpdated = true;
  }
  say(`apt-get install -y ${pkg} …`);
  return wrap(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', pkg]);
}

const sbin = ['/usr/sbin', '/usr/local/sbin'];
if (!process.env.NATS_URL && !process.env.NATS_SERVER_BIN && !onPath('nats-server', sbin)) {
  if (!aptInstall('nats-server') || !onPath('nats-server', sbin)) {
    say('nats-server is required and could not be installed automatically.');
    say('  Debian/Ubuntu:  sudo apt-get update && sudo apt-get install -y nats-server');
    say('  elsewhere:      download a nats-server release (v2.9 or newer), put it on PATH or set NATS_SERVER_BIN,');
    say('                  or set NATS_URL to a running server with JetStream enabled.');
    process.exit(1);
  }
}

if (wantChromium && !existsSync('/usr/bin/chromium')) {
  if (!aptInstall('chromium') || !existsSync('/usr/bin/chromium')) {
    say('chromium is required for the browser tests: apt-get install -y chromium');
    process.exit(1);
  }
}
