import fs from 'node:fs';
import path from 'node:path';
import type { Proc, Scope } from '../procs';
import { which } from '../debian-tools';

/**
 * BIND 9 (`named`) as the authoritative rival: primary for `zone` from a zone file, on a
 * high loopback port, no recursion, no rndc. One worker thread (`-n 1`) like tfgw's one
 * event loop.
 */
export async function startBind(scope: Scope, dir: string, port: number, zone: string, zoneText: string): Promise<Proc> {
  const d = path.join(dir, 'bind');
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, 'zone.db'), zoneText);
  const conf = `
options {
  directory "${d}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  allow-transfer { none; };
  dnssec-validation no;
  pid-file "${d}/named.pid";
  session-keyfile "${d}/session.key";
  managed-keys-directory "${d}";
};
controls { };
zone "${zone}" { type primary; file "${d}/zone.db"; };
`;
  const file = path.join(d, 'named.conf');
  fs.writeFileSync(file, conf);
  const p = scope.start('named', which('named') ?? '/usr/sbin/named', ['-g', '-n', '1', '-c', file]);
  await p.waitFor(/running/, 20000);
  return p;
}
