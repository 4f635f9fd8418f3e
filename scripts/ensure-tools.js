#!/usr/bin/env node
// Makes sure the system tools the tests drive are installed. Installs missing ones with
// apt-get when running as root; otherwise prints the exact command and exits 1.
// Under CI=true a tool that is still missing is a failure, never a skip.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');

/** tool (command or file) -> Debian package */
const TOOLS = [
  { check: 'redis-server', pkg: 'redis-server' },
  { check: 'redis-cli', pkg: 'redis-tools' },
  { check: 'dig', pkg: 'dnsutils' },
  { check: 'named-checkzone', pkg: 'bind9-utils' },
  { check: 'curl', pkg: 'curl' },
  { check: 'openssl', pkg: 'openssl' },
  { check: 'go', pkg: 'golang-go' },
  { check: 'microsocks', pkg: 'microsocks' },
  { check: 'tinyproxy', pkg: 'tinyproxy' },
  { check: 'chromium', pkg: 'chromium' },
  { file: '/usr/share/gocode/src/github.com/hashicorp/yamux/session.go', pkg: 'golang-github-hashicorp-yamux-dev' },
  ...(process.env.TFGW_EXTRA_TOOLS || '').split(',').filter(Boolean).map((t) => { const [check, pkg] = t.split('='); return { check, pkg: pkg || check }; }),
];

function has(t) {
  if (t.file) return fs.existsSync(t.file);
  return spawnSync('sh', ['-c', `command -v ${t.check}`], { stdio: 'ignore' }).status === 0;
}

const missing = TOOLS.filter((t) => !has(t));
if (missing.length === 0) process.exit(0);
const pkgs = [...new Set(missing.map((t) => t.pkg))];
const cmd = `apt-get update && apt-get install -y ${pkgs.join(' ')}`;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (isRoot) {
  console.error(`[ensure-tools] installing: ${pkgs.join(' ')}`);
  try {
    execFileSync('sh', ['-c', `DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${pkgs.join(' ')}`], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (err) {
    console.error(`[ensure-tools] apt-get failed: ${err.message}`);
  }
}
const still = TOOLS.filter((t) => !has(t));
if (still.length > 0) {
  console.error(`[ensure-tools] missing: ${still.map((t) => t.check || t.file).join(', ')}`);
  console.error(`[ensure-tools] install them with: sudo ${cmd}`);
  process.exit(1);
}
