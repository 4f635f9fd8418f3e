import crypto from 'node:crypto';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { MuxedStream, TransportConnection } from '@tfgw/core';
import { QuicTransport, generateIdentity } from '../src';
import { closeError, quicPair, udpRelay, type QuicPair } from './helpers';

/** Read a stream to its end without destroying it (a `for await` would destroy a Duplex at the end). */
function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    s.on('data', (c: Buffer) => parts.push(c));
    s.once('end', () => resolve(Buffer.concat(parts)));
    s.once('error', reject);
  });
}

/** Next 'stream' the session emits. */
function nextStream(session: NodeJS.EventEmitter): Promise<MuxedStream> {
  return once(session, 'stream').then(([s]) => s as MuxedStream);
}

describe('quic transport', () => {
  let pair: QuicPair | undefined;
  afterEach(async () => {
    await pair?.close();
    pair = undefined;
  });

  test('delivers sessions on both sides; stream ids match; data and half-close both ways', async () => {
    pair = await quicPair();
    expect(pair.transport.nativeStreams).toBe(true);
    expect(pair.clientConn.duplex).toBeUndefined();
    expect(pair.clientConn.info.transport).toBe('quic');
    expect(pair.clientConn.info.peerFingerprint).toBe(new URL(pair.listener.address.url).hash.slice(1));
    expect(pair.serverConn.info.remoteAddress).toMatch(/^127\.0\.0\.1:\d+$/);

    const incoming = nextStream(pair.server);
    const a = pair.client.open();
    a.write('hello ');
    const b = await incoming;
    expect(b.id).toBe(a.id);
    // Our side half-closes; the peer sees the end and can still answer.
    a.end('world');
    expect((await readAll(b)).toString()).toBe('hello world');
    b.end('bye');
    expect((await readAll(a)).toString()).toBe('bye');
    await Promise.all([finished(a), finished(b)]);
    expect(pair.client.stats).toMatchObject({ bytesOut: 11, bytesIn: 3, streams: 0 });
    expect(pair.server.stats).toMatchObject({ bytesOut: 3, bytesIn: 11, streams: 0 });

    // The server opens too; ids come from the server's space and still match.
    const back = nextStream(pair.client);
    const c = pair.server.open();
    c.end('from server');
    const d = await back;
    expect(d.id).toBe(c.id);
    expect(d.id).not.toBe(a.id);
    expect((await readAll(d)).toString()).toBe('from server');
    d.end();
    await Promise.all([finished(c.resume()), finished(d)]);
    expect(pair.client.stats.streams).toBe(0);
  });

  test('a stream opened without data is announced to the peer at once', async () => {
    pair = await quicPair();
    const incoming = nextStream(pair.server);
    const a = pair.client.open();
    const b = await incoming;
    expect(b.id).toBe(a.id);
    const bErr = closeError(b);
    a.destroy();
    expect((await bErr) as unknown).toMatchObject({ code: 'TFGW_ERR_STREAM_RESET' });
  });

  test('16 parallel streams of 4 MiB complete while one reader is paused', async () => {
    pair = await quicPair();
    const size = 4 * 1024 * 1024;
    const payload = crypto.randomBytes(size);
    const digest = crypto.createHash('sha256').update(payload).digest('hex');
    const server = pair.server;
    // The server echoes a digest of what it read; stream 0's reader is paused until the others finish.
    const served: MuxedStream[] = [];
    let stalled!: MuxedStream;
    const stalledSeen = new Promise<void>((resolve) => {
      server.on('stream', (s: MuxedStream) => {
        served.push(s);
        if (served.length === 1) {
          stalled = s;
          s.pause();
          resolve();
          return;
        }
        const h = crypto.createHash('sha256');
        s.on('data', (c: Buffer) => h.update(c));
        s.on('end', () => s.end(h.digest('hex')));
      });
    });
    const first = pair.client.open();
    first.write(payload); // more than the stream window: this writer stays blocked
    first.end();
    await stalledSeen;
    const others = Array.from({ length: 15 }, () => {
      const s = pair!.client.open();
      s.end(payload);
      return readAll(s).then((b) => b.toString());
    });
    expect(await Promise.all(others)).toEqual(Array(15).fill(digest));
    // The stalled stream had not finished, and its writer was held back by flow control.
    expect(first.writableFinished).toBe(false);
    expect(stalled.readableEnded).toBe(false);
    const h = crypto.createHash('sha256');
    stalled.on('data', (c: Buffer) => h.update(c));
    stalled.resume();
    await once(stalled, 'end');
    expect(h.digest('hex')).toBe(digest);
    await finished(first, { readable: false });
    stalled.end();
    await Promise.all([finished(first.resume()), finished(stalled)]);
  });

  test('reset() by one side destroys the peer stream with TFGW_ERR_STREAM_RESET', async () => {
    pair = await quicPair();
    // client resets while the server reads
    let incoming = nextStream(pair.server);
    const a = pair.client.open();
    a.write('x');
    const b = await incoming;
    await once(b, 'readable');
    const bErr = closeError(b);
    const aErr = closeError(a);
    a.reset();
    expect((await bErr) as unknown).toMatchObject({ code: 'TFGW_ERR_STREAM_RESET' });
    expect(await aErr).toBeUndefined();

    // server destroys with an error while the client only writes: the writer is reset
    incoming = nextStream(pair.server);
    const c = pair.client.open();
    const cErr = closeError(c);
    const d = await incoming;
    const dErr = closeError(d);
    d.destroy(new Error('handler failed'));
    expect(await dErr).toEqual(new Error('handler failed'));
    const chunk = Buffer.alloc(64 * 1024);
    const pump = async () => {
      while (!c.destroyed) {
        if (!c.write(chunk)) await new Promise((r) => (c.once('drain', r), c.once('close', r)));
      }
    };
    await pump();
    expect((await cErr) as unknown).toMatchObject({ code: 'TFGW_ERR_STREAM_RESET' });
  });

  test('a peer FIN is not a reset: end() then destroy after both sides finished is clean', async () => {
    pair = await quicPair();
    const incoming = nextStream(pair.server);
    const a = pair.client.open();
    a.end('done');
    const b = await incoming;
    const bClosed = closeError(b);
    expect((await readAll(b)).toString()).toBe('done');
    b.end();
    expect(await bClosed).toBeUndefined();
    expect(await closeError(a.resume())).toBeUndefined();
  });

  test('ping measures a round trip; stats keep it', async () => {
    pair = await quicPair();
    const rtt = await pair.client.ping();
    expect(rtt).toBeGreaterThan(0);
    expect(pair.client.stats.rttMs).toBe(rtt);
    expect(await pair.server.ping()).toBeGreaterThan(0);
  });

  test('goAway: the peer hears it, its open() throws TFGW_ERR_GOAWAY, existing streams go on', async () => {
    pair = await quicPair();
    const incoming = nextStream(pair.server);
    const a = pair.client.open();
    a.write('before');
    const b = await incoming;
    const heard = once(pair.client, 'goaway');
    pair.server.goAway();
    await heard;
    expect(() => pair!.client.open()).toThrow(expect.objectContaining({ code: 'TFGW_ERR_GOAWAY' }));
    a.end(' and after');
    expect((await readAll(b)).toString()).toBe('before and after');
    b.end();
    await finished(a.resume());
  });

  test('close() ends the peer session without error and destroys open streams with TFGW_ERR_SESSION_CLOSED', async () => {
    pair = await quicPair();
    const incoming = nextStream(pair.server);
    const a = pair.client.open();
    a.write('x');
    const b = await incoming;
    const aErr = closeError(a);
    const bErr = closeError(b);
    const serverClosed = once(pair.server, 'close');
    pair.client.close();
    expect(pair.client.closed).toBe(true);
    expect(await serverClosed).toEqual([undefined]);
    expect(pair.server.closed).toBe(true);
    expect((await aErr) as unknown).toMatchObject({ code: 'TFGW_ERR_SESSION_CLOSED' });
    expect((await bErr) as unknown).toMatchObject({ code: 'TFGW_ERR_SESSION_CLOSED' });
    expect(() => pair!.client.open()).toThrow(expect.objectContaining({ code: 'TFGW_ERR_SESSION_CLOSED' }));
    await expect(pair.client.ping()).rejects.toMatchObject({ code: 'TFGW_ERR_SESSION_CLOSED' });
  });

  test('listener.close() keeps running sessions, refuses new ones, and frees the port after the last session', async () => {
    pair = await quicPair();
    const port = pair.listener.address.port;
    await pair.listener.close();
    // the running session still carries streams
    const incoming = nextStream(pair.server);
    const a = pair.client.open();
    a.end('still here');
    const b = await incoming;
    expect((await readAll(b)).toString()).toBe('still here');
    b.end();
    await finished(a.resume());
    // the socket cannot be taken over with other settings while its sessions run
    await expect(
      pair.transport.listen({ url: new URL(`quic://127.0.0.1:${port}`), options: { idleTimeoutMs: 12345 } }, () => undefined),
    ).rejects.toMatchObject({ code: 'TFGW_ERR_PORT_UNAVAILABLE' });
    // a new dial gets its handshake answered but the session is closed at once
    const late = await pair.transport.dial({ url: new URL(pair.listener.address.url), options: {} });
    if (!late.session!.closed) await once(late.session!, 'close');
    // after the last session, the port is free
    pair.client.close();
    if (!pair.server.closed) await once(pair.server, 'close');
    await pair.listener.close();
    const sock = dgram.createSocket('udp4');
    sock.bind(port, '127.0.0.1');
    await once(sock, 'listening');
    await new Promise<void>((r) => sock.close(() => r()));
  });
});

test('IPv6: listens on [::1] and dials it', async () => {
  const transport = new QuicTransport();
  let accepted!: (c: TransportConnection) => void;
  const serverConn = new Promise<TransportConnection>((r) => (accepted = r));
  const listener = await transport.listen({ url: new URL('quic://[::1]:0'), options: {} }, (c) => accepted(c));
  expect(listener.address.url).toMatch(/^quic:\/\/\[::1\]:\d+#[0-9a-f]{64}$/);
  const c = await transport.dial({ url: new URL(listener.address.url), options: {} });
  expect(c.info.remoteAddress).toBe(`[::1]:${listener.address.port}`);
  const server = (await serverConn).session!;
  const incoming = nextStream(server);
  const mine = c.session!.open();
  mine.end('v6');
  const s = await incoming;
  expect((await readAll(s)).toString()).toBe('v6');
  s.end();
  await finished(mine.resume());
  c.session!.close();
  server.close();
  await listener.close();
});

describe('quic trust', () => {
  test('a wrong fingerprint is refused with TFGW_ERR_TRUST naming both identities', async () => {
    const other = generateIdentity().fingerprint;
    const err = await quicPair({}, (u) => new URL(`quic://${u.host}#${other}`)).catch((e) => e);
    expect(err).toMatchObject({ code: 'TFGW_ERR_TRUST', details: { expected: other } });
    expect(String(err.message)).toContain(other);
  });

  test('options.fingerprint pins too; a URL fragment wins over it', async () => {
    const other = generateIdentity().fingerprint;
    // only the option, wrong
    await expect(quicPair({ fingerprint: other }, (u) => new URL(`quic://${u.host}`))).rejects.toMatchObject({ code: 'TFGW_ERR_TRUST' });
    // the right fragment wins over a wrong option
    const ok = await quicPair({ fingerprint: other });
    expect(ok.client.closed).toBe(false);
    await ok.close();
  });

  test('the peer id form and colon-separated hex pin the same identity', async () => {
    const identity = generateIdentity();
    const transport = new QuicTransport();
    transport.useIdentity(identity);
    const conns: TransportConnection[] = [];
    const listener = await transport.listen({ url: new URL('quic://127.0.0.1:0'), options: {} }, (c) => conns.push(c));
    const base = `quic://127.0.0.1:${listener.address.port}`;
    expect(listener.address.url).toBe(`${base}#${identity.fingerprint}`);
    const colons = identity.fingerprint.toUpperCase().match(/../g)!.join(':');
    for (const pin of [identity.peerId, colons, `sha256:${identity.fingerprint}`]) {
      const c = await transport.dial({ url: new URL(`${base}#${pin}`), options: {} });
      expect(c.info.peerFingerprint).toBe(identity.fingerprint);
      c.session!.close();
    }
    for (const c of conns) c.session!.close();
    await listener.close();
  });

  test('dialing without a fingerprint is a TFGW_ERR_CONFIG unless insecure', async () => {
    const transport = new QuicTransport();
    const conns: TransportConnection[] = [];
    const listener = await transport.listen({ url: new URL('quic://127.0.0.1:0'), options: {} }, (c) => conns.push(c));
    const bare = new URL(`quic://127.0.0.1:${listener.address.port}`);
    await expect(transport.dial({ url: bare, options: {} })).rejects.toMatchObject({ code: 'TFGW_ERR_CONFIG', details: { path: 'fingerprint' } });
    await expect(transport.dial({ url: new URL(`${bare.href}#nope`), options: {} })).rejects.toMatchObject({ code: 'TFGW_ERR_CONFIG' });
    const c = await transport.dial({ url: bare, options: { insecure: true } });
    expect(c.session!.closed).toBe(false);
    c.session!.close();
    for (const s of conns) s.session!.close();
    await listener.close();
  });
});

describe('quic liveness', () => {
  test('a dead peer is detected within the idle timeout: close with TFGW_ERR_TIMEOUT on both sides', async () => {
    const transport = new QuicTransport({ keepaliveMs: 200, idleTimeoutMs: 2000 });
    let accepted!: (c: TransportConnection) => void;
    const serverConn = new Promise<TransportConnection>((r) => (accepted = r));
    const listener = await transport.listen({ url: new URL('quic://127.0.0.1:0'), options: {} }, (c) => accepted(c));
    const relay = await udpRelay(listener.address.port);
    try {
      const fp = new URL(listener.address.url).hash;
      const client = (await transport.dial({ url: new URL(`quic://127.0.0.1:${relay.port}${fp}`), options: {} })).session!;
      const server = (await serverConn).session!;
      // Idle but alive: with no traffic for longer than the idle timeout, keep-alives hold the
      // session open (a wait for the absence of an event, not a timing assertion).
      await new Promise((r) => setTimeout(r, 2500));
      expect(client.closed || server.closed).toBe(false);
      expect(await client.ping()).toBeGreaterThan(0);
      const clientClosed = once(client, 'close');
      const serverClosed = once(server, 'close');
      relay.blackhole();
      const [[clientErr], [serverErr]] = await Promise.all([clientClosed, serverClosed]);
      expect(clientErr).toMatchObject({ code: 'TFGW_ERR_TIMEOUT' });
      expect(serverErr).toMatchObject({ code: 'TFGW_ERR_TIMEOUT' });
    } finally {
      await listener.close();
      await relay.close();
    }
  });

  test('a dial to a silent address fails with TFGW_ERR_TIMEOUT after handshakeTimeoutMs', async () => {
    const silent = dgram.createSocket('udp4');
    silent.bind(0, '127.0.0.1');
    await once(silent, 'listening');
    const transport = new QuicTransport({ handshakeTimeoutMs: 300, insecure: true });
    await expect(transport.dial({ url: new URL(`quic://127.0.0.1:${silent.address().port}`), options: {} })).rejects.toMatchObject({ code: 'TFGW_ERR_TIMEOUT' });
    const ac = new AbortController();
    const dialing = transport.dial({ url: new URL(`quic://127.0.0.1:${silent.address().port}`), options: { handshakeTimeoutMs: 60000 }, signal: ac.signal });
    ac.abort(new Error('stop'));
    await expect(dialing).rejects.toThrow('stop');
    await new Promise<void>((r) => silent.close(() => r()));
  });

  test('NAT rebinding (new client source port) is not migrated by the library: the session times out', async () => {
    // @chainsafe/libp2p-quic 2.1.1 builds its quinn server with migration disabled, so
    // packets from the new address are dropped. The agent reconnects instead. If this test
    // starts failing, the library supports migration: update README and this test.
    const transport = new QuicTransport({ keepaliveMs: 200, idleTimeoutMs: 1500 });
    let accepted!: (c: TransportConnection) => void;
    const serverConn = new Promise<TransportConnection>((r) => (accepted = r));
    const listener = await transport.listen({ url: new URL('quic://127.0.0.1:0'), options: {} }, (c) => accepted(c));
    const relay = await udpRelay(listener.address.port);
    try {
      const fp = new URL(listener.address.url).hash;
      const client = (await transport.dial({ url: new URL(`quic://127.0.0.1:${relay.port}${fp}`), options: {} })).session!;
      const server = (await serverConn).session!;
      expect(await client.ping()).toBeGreaterThan(0);
      const serverClosed = once(server, 'close');
      const clientClosed = once(client, 'close');
      await relay.rebind();
      expect((await serverClosed)[0]).toMatchObject({ code: 'TFGW_ERR_TIMEOUT' });
      // The client either times out too or, once the gateway forgot the connection, gets its
      // stateless reset (the relay still forwards from the old port).
      expect(['TFGW_ERR_TIMEOUT', 'TFGW_ERR_SESSION_CLOSED']).toContain(((await clientClosed)[0] as { code: string }).code);
    } finally {
      await listener.close();
      await relay.close();
    }
  });
});
