import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { once } from 'node:events';
import fc from 'fast-check';
import { createSelfSignedCert, secureClient } from '@tfgw/core';

// The pure-node certificate builder, checked against Node's X.509 parser, the real
// openssl CLI, and real TLS handshakes.

function sanEntry(name: string): string {
  if (net.isIPv4(name)) return `IP Address:${name}`;
  if (net.isIPv6(name)) {
    const b = new URL(`http://[${name}]/`).hostname.slice(1, -1);
    const groups = b.split('::');
    const head = groups[0] ? groups[0].split(':') : [];
    const tail = groups.length > 1 && groups[1] ? groups[1].split(':') : [];
    const full = [...head, ...Array(8 - head.length - tail.length).fill('0'), ...tail].map((g) => parseInt(g, 16).toString(16).toUpperCase());
    return `IP Address:${full.join(':')}`;
  }
  return `DNS:${name}`;
}

test('any set of DNS names and IPs ends up in a valid, self-verifying certificate', () => {
  const name = fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6());
  fc.assert(
    fc.property(fc.uniqueArray(name, { minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 20000 }), (altNames, days) => {
      const { cert, key } = createSelfSignedCert({ altNames, days });
      const x = new crypto.X509Certificate(cert);
      expect(x.checkPrivateKey(crypto.createPrivateKey(key))).toBe(true);
      expect(x.verify(x.publicKey)).toBe(true);
      expect(x.ca).toBe(false);
      const sans = (x.subjectAltName ?? '').split(', ');
      for (const n of altNames) expect(sans).toContain(sanEntry(n));
      const notAfter = Date.parse(x.validTo);
      expect(Math.abs(notAfter - (Date.now() + days * 86400_000))).toBeLessThan(86400_000);
    }),
    { numRuns: 40 },
  );
});

test('openssl reads it and verifies it as its own trust anchor', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfgw-ss-'));
  try {
    const file = path.join(dir, 'cert.pem');
    fs.writeFileSync(file, createSelfSignedCert({ commonName: 'gw.example', altNames: ['gw.example'] }).cert);
    const text = execFileSync('openssl', ['x509', '-in', file, '-noout', '-text'], { encoding: 'utf8' });
    expect(text).toContain('Subject: CN = gw.example');
    expect(text).toContain('TLS Web Server Authentication');
    expect(execFileSync('openssl', ['verify', '-CAfile', file, file], { encoding: 'utf8' }).trim()).toBe(`${file}: OK`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('it serves TLS, trusted as a CA by Node and pinned through secureClient', async () => {
  const { cert, key } = createSelfSignedCert();
  const server = tls.createServer({ cert, key }, (s) => s.end('hi'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  try {
    const viaCa = tls.connect({ host: '127.0.0.1', port, ca: cert, servername: 'localhost' });
    await once(viaCa, 'secureConnect');
    expect(viaCa.authorized).toBe(true);
    viaCa.destroy();

    const raw = net.connect(port, '127.0.0.1');
    await once(raw, 'connect');
    const pinned = await secureClient(raw, { host: '127.0.0.1', tls: { fingerprint: new crypto.X509Certificate(cert).fingerprint256 } });
    const [data] = (await once(pinned.socket, 'data')) as [Buffer];
    expect(data.toString()).toBe('hi');
    pinned.socket.destroy();
  } finally {
    server.close();
  }
});
