/**
 * Interop with an independent yamux implementation: Go's hashicorp/yamux (Debian package
 * golang-github-hashicorp-yamux-dev, built here with golang-go), as server and as client,
 * over real TCP. The Go program is go/yamux-peer.go.
 */
import net from 'node:net';
import { once } from 'node:events';
import crypto from 'node:crypto';
import { createSession, ErrorCodes, YAMUX_INITIAL_WINDOW, type MuxedStream, type YamuxSession, type YamuxStream } from '@tfgw/core';
import { GoPeer, buildGoPeer } from './go-peer';
import { hashStream, pattern, readAll, sha256, streamError, until, writeChunks } from './helpers';

let bin: string;
beforeAll(async () => {
  bin = await buildGoPeer();
}, 120_000);

interface Pair {
  session: YamuxSession;
  go: GoPeer;
  socket: net.Socket;
  /** What our session does with streams the Go side opens; tests replace it. */
  onStream: (s: MuxedStream) => void;
}

const open: Pair[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) {
    p.session.close();
    p.socket.destroy();
    await p.go.stop();
  }
});

/** Starts a Go peer in `goRole` and connects our session to it (we take the other role). */
async function connect(goRole: 'server' | 'client', extra: string[] = []): Promise<Pair> {
  let socket: net.Socket;
  let go: GoPeer;
  if (goRole === 'server') {
    go = GoPeer.start(bin, ['-role', 'server', '-addr', '127.0.0.1:0', ...extra]);
    const [, port] = await go.line(/^LISTEN (\d+)$/);
    socket = net.connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
  } else {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const accepted = once(srv, 'connection') as Promise<[net.Socket]>;
    go = GoPeer.start(bin, ['-role', 'client', '-addr', `127.0.0.1:${(srv.address() as net.AddressInfo).port}`, ...extra]);
    [socket] = await accepted;
    srv.close();
  }
  socket.setNoDelay(true);
  socket.on('error', () => undefined);
  const pair = {} as Pair;
  pair.onStream = (s) => s.destroy();
  pair.session = createSession(socket, { client: goRole === 'server', onStream: (s) => pair.onStream(s) });
  pair.session.on('close', () => undefined);
  pair.go = go;
  pair.socket = socket;
  open.push(pair);
  await go.line(/^READY$/);
  return pair;
}

/** Sends a command byte and `data` on a new stream, optionally half-closing after. */
function openWith(session: YamuxSession, cmd: string, data?: Buffer, end = true): YamuxStream {
  const s = session.open() as YamuxStream;
  s.write(cmd);
  if (data) void writeChunks(s, data, 64 * 1024, end).catch(() => undefined);
  else if (end) s.end();
  return s;
}

describe.each(['server', 'client'] as const)('interop with hashicorp/yamux (Go) as %s', (goRole) => {
  it('echoes data on a stream we open, with half-close in both directions', async () => {
    const { session, go } = await connect(goRole);
    const data = pattern(3 * 1024 * 1024 + 5, 21);
    const s = openWith(session, 'E', data);
    expect(sha256(await readAll(s))).toBe(sha256(data));
    const [, id, n] = await go.line(/^ECHO (\d+) (\d+) <nil>$/);
    expect(Number(id)).toBe(s.id);
    expect(Number(n)).toBe(data.length);
    expect(s.id % 2).toBe(goRole === 'server' ? 1 : 0);
  });

  it('delivers 16 MB to Go intact (sha256 computed by Go)', async () => {
    const { session } = await connect(goRole);
    const data = pattern(16 * 1024 * 1024, 22);
    const s = openWith(session, 'H', data);
    const answer = (await readAll(s)).toString().trim();
    expect(answer).toBe(`${sha256(data)} ${data.length}`);
  });

  it('receives 24 MB from Go intact while our window auto-tunes', async () => {
    const { session, go } = await connect(goRole);
    const n = 24 * 1024 * 1024;
    const len = Buffer.alloc(8);
    len.writeBigUInt64BE(BigInt(n));
    const s = openWith(session, 'G', len, false);
    const got = await hashStream(s);
    s.end();
    const [, id, hash, count] = await go.line(/^GEN (\d+) ([0-9a-f]{64}) (\d+)$/);
    expect(Number(id)).toBe(s.id);
    expect(got).toEqual({ hash, bytes: Number(count) });
    expect(s.receiveWindow).toBeGreaterThanOrEqual(YAMUX_INITIAL_WINDOW);
  });

  // Go half-closing first is not exercised: this yamux snapshot (2019) cannot read after its own Close.
  it('echoes on a stream Go opens', async () => {
    const pair = await connect(goRole);
    const ids: number[] = [];
    let echoEnded: Promise<unknown> = Promise.resolve();
    pair.onStream = (s) => {
      ids.push(s.id);
      echoEnded = once(s, 'close');
      s.pipe(s);
    };
    pair.go.send('open-echo 3000000');
    const [, id, n] = await pair.go.line(/^OPEN-ECHO ok (\d+) (\d+)$/);
    expect(Number(n)).toBe(3000000);
    expect(ids).toEqual([Number(id)]);
    expect(Number(id) % 2).toBe(goRole === 'server' ? 0 : 1);
    await echoEnded; // Go's FIN ended our side, our pipe sent FIN back
    await until(() => pair.session.stats.streams === 0, 'stream forgotten');
  });

  it('our reset reaches Go as "connection reset"', async () => {
    const { session, go } = await connect(goRole);
    const s = openWith(session, 'X', Buffer.from('some data'), false);
    await until(() => session.stats.bytesOut === 10, 'data sent');
    await session.ping(); // Go has processed our frames
    s.reset();
    // Go reports it from the command read or the data read, depending on how far its reader got.
    const [, id, err] = await go.line(/^(?:READERR|CMDERR) (\d+) (.*)$/);
    expect(Number(id)).toBe(s.id);
    expect(err).toBe('connection reset');
  });

  it("Go's reset (accept backlog full) reaches us as TFGW_ERR_STREAM_RESET", async () => {
    const { session } = await connect(goRole, ['-backlog', '1', '-noaccept']);
    const first = session.open();
    first.on('error', () => undefined);
    const second = session.open();
    expect((await streamError(second))?.code).toBe(ErrorCodes.STREAM_RESET);
  });

  it('Go stops at our window while we do not read, and resumes when we do', async () => {
    const pair = await connect(goRole);
    let stream: MuxedStream | undefined;
    pair.onStream = (s) => {
      stream = s;
      s.pause();
    };
    const n = 8 * 1024 * 1024;
    pair.go.send(`open-send ${n}`);
    const [, id, hash] = await pair.go.line(/^OPEN-SEND start (\d+) ([0-9a-f]{64}) (\d+)$/);
    await until(() => stream !== undefined && stream.readableLength === YAMUX_INITIAL_WINDOW, 'our window is full');
    await pair.session.ping();
    expect(pair.session.stats.bytesIn).toBe(YAMUX_INITIAL_WINDOW);
    expect(pair.go.saw(/^OPEN-SEND written/)).toBe(false);
    const got = hashStream(stream!);
    stream!.resume();
    expect(await got).toEqual({ hash, bytes: n });
    await pair.go.line(new RegExp(`^OPEN-SEND written ${id}$`));
    stream!.end();
  });

  it('we stop at the Go window while Go does not read, and finish when it does', async () => {
    const { session, go } = await connect(goRole);
    const data = pattern(8 * 1024 * 1024, 23);
    const s = session.open() as YamuxStream;
    s.write('W');
    let writesDone = 0;
    const writing = (async () => {
      for (let off = 0; off < data.length; off += 64 * 1024) {
        if (!s.write(data.subarray(off, off + 64 * 1024), () => writesDone++)) await once(s, 'drain');
      }
      s.end();
    })();
    const [, id] = await go.line(/^WAITING (\d+)$/);
    await until(() => s.sendWindow === 0, 'writer blocked at the Go window');
    expect(session.stats.bytesOut).toBe(YAMUX_INITIAL_WINDOW);
    expect(writesDone).toBeLessThan(data.length / (64 * 1024));
    const answer = readAll(s);
    go.send(`release ${id}`);
    await writing;
    expect((await answer).toString().trim()).toBe(`${sha256(data)} ${data.length}`);
  });

  it('runs 50 concurrent echo streams', async () => {
    const { session } = await connect(goRole);
    const ok = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const data = crypto.randomBytes(50_000 + i * 1000);
        return sha256(await readAll(openWith(session, 'E', data))) === sha256(data);
      }),
    );
    expect(ok.every(Boolean)).toBe(true);
  });

  it('pings both ways', async () => {
    const { session, go } = await connect(goRole);
    expect(await session.ping()).toBeGreaterThanOrEqual(0);
    go.send('ping');
    await go.line(/^PING ok$/);
  });

  it('go-away both ways', async () => {
    const { session, go } = await connect(goRole);
    const goaway = once(session, 'goaway');
    go.send('goaway');
    await goaway;
    expect(() => session.open()).toThrow(expect.objectContaining({ code: ErrorCodes.GOAWAY }));
    session.goAway();
    await session.ping(); // our GO_AWAY has been processed
    go.send('open-try');
    const [, err] = await go.line(/^OPEN (.*)$/);
    expect(err).toBe('err remote end is not accepting connections');
  });

  it('close in both directions', async () => {
    const a = await connect(goRole);
    a.session.close();
    await a.go.line(/^SESSION-CLOSED$/);
    const b = await connect(goRole);
    const closed = once(b.session, 'close');
    b.go.send('close');
    await closed;
    expect(b.session.closed).toBe(true);
  });
});
