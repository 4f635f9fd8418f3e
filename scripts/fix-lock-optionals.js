#!/usr/bin/env node
// Works around npm's long-standing bug (npm/cli#4828, #8320): `npm install` leaves the
// platform-specific optional dependencies of other platforms out of package-lock.json,
// and `npm ci` then refuses the lock ("Missing: … from lock file"). This adds the missing
// entries from the registry's metadata (`npm view`), so `npm ci` works on every platform.
// Where the registry has no such package for that version (a mirror may hold only some
// platforms), the entry is written from what its name says (os, cpu, libc): npm ci skips it
// on every other platform without fetching it, which is all it needs.
// Run it after changing dependencies: node scripts/fix-lock-optionals.js
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const file = path.resolve(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const pkgs = lock.packages;
let added = 0;
for (const [where, entry] of Object.entries(pkgs)) {
  for (const [name, range] of Object.entries(entry.optionalDependencies || {})) {
    // npm resolves a dependency next to its dependent first, then up the tree.
    const base = where === '' ? '' : `${where}/`;
    const candidates = [`${base}node_modules/${name}`, `node_modules/${name}`];
    if (candidates.some((c) => pkgs[c])) continue;
    let m;
    try {
      const meta = JSON.parse(execFileSync('npm', ['view', `${name}@${range}`, '--json', 'version', 'dist.integrity', 'os', 'cpu', 'libc', 'license', 'engines'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
      m = Array.isArray(meta) ? meta[meta.length - 1] : meta;
    } catch {
      m = fromName(name, range);
    }
    const target = `node_modules/${name}`;
    pkgs[target] = {
      version: m.version,
      integrity: m['dist.integrity'],
      ...(m.cpu ? { cpu: m.cpu } : {}),
      ...(entry.dev ? { dev: true } : {}),
      ...(m.engines ? { engines: m.engines } : {}),
      ...(m.libc ? { libc: m.libc } : {}),
      ...(m.license ? { license: m.license } : {}),
      optional: true,
      ...(m.os ? { os: m.os } : {}),
    };
    added++;
    console.log(`added ${target}@${m.version}`);
  }
}
/** os / cpu / libc from a platform package name such as `x-linux-arm64-musl` or `x-win32-ia32-msvc`. */
function fromName(name, range) {
  const OS = ['android', 'darwin', 'freebsd', 'linux', 'win32', 'openharmony', 'sunos', 'aix', 'netbsd', 'openbsd'];
  const CPU = ['arm64', 'arm', 'x64', 'ia32', 'loong64', 'ppc64', 'riscv64', 's390x', 'wasm32', 'mips64el'];
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.find((p) => CPU.includes(p));
  const libc = parts.includes('musl') || parts.includes('musleabihf') ? 'musl' : parts.includes('gnu') || parts.includes('gnueabihf') ? 'glibc' : undefined;
  if (!os || !cpu) throw new Error(`cannot tell the platform of ${name}; add it to the lock by hand`);
  const version = String(range).replace(/^[\^~=]/, '');
  return { version, os: [os], cpu: [cpu], ...(libc ? { libc: [libc] } : {}) };
}

// npm keeps `packages` sorted by path.
lock.packages = Object.fromEntries(Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
fs.writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(`${added} optional platform entries added`);
