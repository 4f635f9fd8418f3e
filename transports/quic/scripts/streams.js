#!/usr/bin/env node
/**
 * Many concurrent idle streams over one QUIC session, then one echo on each.
 * Usage (after `npx tsc -b transports/quic`):
 *   node transports/quic/scripts/streams.js [count=10000] [opener=listener|dialer] [maxStreams]
 *
 * This process listens on 127.0.0.1 (the gateway's side); a child process dials it (the
 * agent's side). The opener opens `count` streams and keeps them idle until all are open.
 * By default the listener opens, as a gateway opens visitor streams toward an agent; then
 * the dialer's limit applies. With `dialer`, the dialer opens, as a client does toward the
 * gateway; then the listener's limit applies. `maxStreams`, if given, is set on the side
 * whose limit applies. Then every stream sends one byte and waits for its echo.
 * Prints streams open / failed (by error code) / echoed, the time to open, and the RSS of
 * each process before and after (MB), and the growth per stream (KB).
 */
'use strict';
const { fork } = require('node:child_process');
const { once } = require('node:events');
const { QuicTransport } = require('../dist');

const count = Number(process.argv[2] ?? 10_000);
const opener = process.argv[3] ?? 'listener';
const maxStreams = process.argv[4] === undefined ? undefined : Number(process.argv[4]);
const limitOptions = maxStreams === undefined ? {} : { maxStreams };

/** Opens in flight at once. */
const WINDOW = 200;

/** Echo a stream the peer opened; the session's close at the end destroys it. */
const echo = (s) => s.on('error', () => undefined).pipe(s);

const mb = (bytes) => Math.round((bytes / 2 ** 20) * 10) / 10;

/**
 * Open `n` streams, at most WINDOW of them not yet usable at a time (as visitors arrive a
 * few hundred at a time; a burst beyond `pendingOpens` would fail with
 * TFGW_ERR_PENDING_LIMIT even below the peer's limit, since opens are serialised).
 */
async function openAll(session, n) {
  const t0 = process.hrtime.bigint();
  const streams = [];
  const failures = {};
  const fail = (err) => (failures[err.code] = (failures[err.code] ?? 0) + 1);
  let next = 0;
  const one = () =>
    new Promise((resolve) => {
      let s;
      try {
        s = session.open();
      } catch (err) {
        fail(err);
        return resolve();
      }
      // One byte opens the stream at the peer; an error before the write callback is a failure.
      let usable = false;
      s.on('error', (err) => {
        if (!usable) fail(err);
        resolve();
      });
      s.write(Buffer.of(0), (err) => {
        if (err) return;
        usable = true;
        streams.push(s);
        resolve();
      });
    });
  const lane = async () => {
    while (next < n) {
      next++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, lane));
  const openMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return { streams, failures, opened: streams.length, openMs };
}

async function echoAll(streams) {
  let echoed = 0;
  await Promise.all(
    streams.map(
      (s) =>
        new Promise((resolve) => {
          let seen = 0;
          s.on('data', (d) => {
            seen += d.length;
            // The peer echoes the opening byte and the probe byte.
            if (seen >= 2) {
              echoed++;
              resolve();
            }
          });
          s.once('error', () => resolve());
          s.once('close', () => resolve());
          s.write(Buffer.of(1));
        }),
    ),
  );
  return echoed;
}

/** The dialing side: echo every stream the listener opens, or open them itself. */
async function child() {
  const url = new URL(process.env.QUIC_STREAMS_URL);
  const dialOptions = opener === 'listener' ? limitOptions : {};
  const { session } = await new QuicTransport().dial({ url, options: dialOptions });
  session.on('stream', echo);
  process.on('message', async (m) => {
    if (m === 'rss') process.send({ rss: process.memoryUsage().rss });
    if (m === 'open') {
      const r = await openAll(session, count);
      process.send({ opened: r.opened, failures: r.failures, openMs: r.openMs, rss: process.memoryUsage().rss });
      const echoed = await echoAll(r.streams);
      process.send({ echoed, rss: process.memoryUsage().rss });
    }
    if (m === 'exit') {
      session.close();
      process.disconnect();
    }
  });
  process.send({ ready: true, rss: process.memoryUsage().rss });
}

async function parent() {
  const transport = new QuicTransport();
  let accepted;
  const serverSession = new Promise((r) => (accepted = r));
  const listenOptions = opener === 'dialer' ? limitOptions : {};
  const listener = await transport.listen({ url: new URL('quic://127.0.0.1:0'), options: listenOptions }, (c) => accepted(c.session));
  const kid = fork(__filename, process.argv.slice(2), { env: { ...process.env, QUIC_STREAMS_URL: listener.address.url, QUIC_STREAMS_CHILD: '1' } });
  const next = () => once(kid, 'message').then(([m]) => m);
  const ready = await next();
  const session = await serverSession;
  session.on('stream', echo);
  const rss0 = { listener: process.memoryUsage().rss, dialer: ready.rss };
  console.log(`node ${process.version}, ${count} streams opened by the ${opener}, maxStreams ${maxStreams ?? 'default'} on the ${opener === 'listener' ? 'dialer' : 'listener'}`);
  let result;
  if (opener === 'listener') {
    const r = await openAll(session, count);
    kid.send('rss');
    const dialerRss = (await next()).rss;
    const echoed = await echoAll(r.streams);
    kid.send('rss');
    result = { opened: r.opened, failures: r.failures, openMs: r.openMs, echoed, rssOpen: { listener: process.memoryUsage().rss, dialer: dialerRss }, rssEnd: { listener: process.memoryUsage().rss, dialer: (await next()).rss } };
  } else {
    kid.send('open');
    const r = await next();
    const listenerRss = process.memoryUsage().rss;
    const e = await next();
    result = { opened: r.opened, failures: r.failures, openMs: r.openMs, echoed: e.echoed, rssOpen: { listener: listenerRss, dialer: r.rss }, rssEnd: { listener: process.memoryUsage().rss, dialer: e.rss } };
  }
  const grow = result.rssEnd.listener - rss0.listener + (result.rssEnd.dialer - rss0.dialer);
  console.log(`open: ${result.opened} of ${count} in ${Math.round(result.openMs)} ms; failed: ${JSON.stringify(result.failures)}; echoed: ${result.echoed}`);
  console.log(
    `RSS MB listener ${mb(rss0.listener)} -> ${mb(result.rssEnd.listener)}, dialer ${mb(rss0.dialer)} -> ${mb(result.rssEnd.dialer)}; growth per open stream (both processes) ${result.opened ? (grow / 1024 / result.opened).toFixed(1) : '-'} KB`,
  );
  kid.send('exit');
  await once(kid, 'exit');
  session.close();
  await listener.close();
  if (result.echoed !== count) process.exitCode = 1;
}

(process.env.QUIC_STREAMS_CHILD ? child() : parent()).catch((err) => {
  console.error(err);
  process.exit(1);
});
