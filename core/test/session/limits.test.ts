import { once } from 'node:events';
import fc from 'fast-check';
import {
  ErrorCodes,
  MAX_UNFLUSHED_REPLIES,
  TfgwError,
  YAMUX_HEADER_SIZE,
  YAMUX_INITIAL_WINDOW,
  YamuxFlag,
  YamuxFrameType,
  YamuxGoAwayCode,
  encodeYamuxHeader,
  resolveYamuxOptions,
  YAMUX_DEFAULTS,
  type MuxedStream,
  type YamuxSession,
} from '@tfgw/core';
import { RawPeer, Resources, streamError, until } from './helpers';

const res = new Resources();
afterEach(() => res.cleanup());

const { DATA, WINDOW_UPDATE, PING, GO_AWAY } = YamuxFrameType;
const { SYN, ACK, FIN, RST } = YamuxFlag;

/** Resolves once the session has processed everything the raw peer sent before this call. */
async function barrier(raw: RawPeer, opaque: number): Promise<void> {
  raw.send(PING, SYN, 0, opaque);
  await raw.waitFrame((f) => f.type === PING && (f.flags & ACK) !== 0 && f.length === opaque);
}

/** The error the session closes with. */
function closeError(session: YamuxSession): Promise<TfgwError | undefined> {
  return (once(session, 'close') as Promise<[TfgwError | undefined]>).then(([e]) => e);
}

describe('yamux options', () => {
  it('fills the documented defaults', () => {
    expect(resolveYamuxOptions({ client: true })).toMatchObject({ client: true, ...YAMUX_DEFAULTS });
    expect(YAMUX_DEFAULTS).toMatchObject({
      initialWindow: 256 * 1024,
      maxWindow: 16 * 1024 * 1024,
      maxStreams: 65536,
      maxPendingOpens: 1024,
      maxFrameBytes: 16 * 1024 * 1024,
      keepaliveMs: 15000,
      keepaliveTimeoutMs: 30000,
    });
  });

  it('rejects nonsense with TFGW_ERR_CONFIG naming the option (property)', () => {
    const bad: Array<[string, number]> = [
      ['initialWindow', YAMUX_INITIAL_WINDOW - 1],
      ['maxWindow', YAMUX_INITIAL_WINDOW - 1],
      ['maxStreams', 0],
      ['maxPendingOpens', -1],
      ['maxFrameBytes', 1000],
      ['keepaliveMs', 1.5],
      ['keepaliveTimeoutMs', 0],
    ];
    for (const [key, value] of bad) {
      expect(() => resolveYamuxOptions({ client: false, [key]: value })).toThrow(expect.objectContaining({ code: ErrorCodes.CONFIG, details: expect.objectContaining({ path: key }) }));
    }
    fc.assert(
      fc.property(fc.constantFrom(...bad.map(([k]) => k)), fc.oneof(fc.double(), fc.integer({ min: -10, max: 0 })), (key, value) => {
        try {
          resolveYamuxOptions({ client: true, [key]: value });
        } catch (err) {
          expect((err as TfgwError).code).toBe(ErrorCodes.CONFIG);
        }
      }),
    );
  });
});

describe('yamux limits', () => {
  it('maxStreams: open() throws TFGW_ERR_STREAM_LIMIT, an inbound SYN over the limit is reset', async () => {
    const { client, server } = await res.sessionPair({ maxStreams: 3 }, { maxStreams: 2 });
    const accepted: MuxedStream[] = [];
    server.on('stream', (s: MuxedStream) => accepted.push(s));
    const a = client.open();
    const b = client.open();
    const c = client.open(); // over the server's limit of 2
    expect(() => client.open()).toThrow(expect.objectContaining({ code: ErrorCodes.STREAM_LIMIT }));
    expect((await streamError(c))?.code).toBe(ErrorCodes.STREAM_RESET);
    expect(accepted.map((s) => s.id)).toEqual([a.id, b.id]);
    // a closed stream frees its slot
    const bClosed = once(b, 'close');
    b.reset();
    await bClosed;
    expect(client.open().id).toBeGreaterThan(c.id);
  });

  it('maxPendingOpens: opens beyond it queue (no SYN) and go out in order as ACKs come; as many again queued, open() throws TFGW_ERR_PENDING_LIMIT', async () => {
    const { session, raw } = await res.rawPeer({ client: true, maxPendingOpens: 2, keepaliveMs: 0 });
    const a = session.open();
    const b = session.open();
    const c = session.open();
    const d = session.open();
    expect(() => session.open()).toThrow(expect.objectContaining({ code: ErrorCodes.PENDING_LIMIT }));
    // c is queued: what is written to it, and its FIN, wait for its SYN
    c.end(Buffer.from('queued bytes'));
    await raw.waitFrame((f) => f.type === WINDOW_UPDATE && f.streamId === b.id && (f.flags & SYN) !== 0);
    await barrier(raw, 1);
    expect(raw.frames.some((f) => f.streamId === c.id || f.streamId === d.id)).toBe(false);
    raw.send(WINDOW_UPDATE, ACK, a.id, 0);
    const cSyn = await raw.waitFrame((f) => f.type === WINDOW_UPDATE && f.streamId === c.id && (f.flags & SYN) !== 0);
    const cData = await raw.waitFrame((f) => f.type === DATA && f.streamId === c.id);
    expect(String(cData.payload)).toBe('queued bytes');
    await raw.waitFrame((f) => f.streamId === c.id && (f.flags & FIN) !== 0);
    expect(raw.frames.indexOf(cSyn)).toBeLessThan(raw.frames.indexOf(cData));
    // d is still queued; destroying it sends nothing and frees its queue place
    d.destroy();
    await barrier(raw, 2);
    expect(raw.frames.some((f) => f.streamId === d.id)).toBe(false);
    const e = session.open();
    expect(e.id).toBe(d.id + 2);
    raw.send(WINDOW_UPDATE, ACK, b.id, 0);
    await raw.waitFrame((f) => f.type === WINDOW_UPDATE && f.streamId === e.id && (f.flags & SYN) !== 0);
  });

  it('a GO_AWAY from the peer fails the opens still queued behind maxPendingOpens with TFGW_ERR_GOAWAY', async () => {
    const { session, raw } = await res.rawPeer({ client: true, maxPendingOpens: 1, keepaliveMs: 0 });
    const a = session.open();
    const b = session.open();
    const bErr = streamError(b);
    await raw.waitFrame((f) => f.type === WINDOW_UPDATE && f.streamId === a.id && (f.flags & SYN) !== 0);
    raw.send(GO_AWAY, 0, 0, YamuxGoAwayCode.NORMAL);
    expect((await bErr)?.code).toBe(ErrorCodes.GOAWAY);
    raw.send(WINDOW_UPDATE, ACK, a.id, 0);
    await barrier(raw, 3);
    expect(raw.frames.some((f) => f.streamId === b.id)).toBe(false);
  });

  it('maxFrameBytes: a larger DATA frame closes the session with TFGW_ERR_FRAME_TOO_LARGE and GO_AWAY(protocol error)', async () => {
    const { session, raw } = await res.rawPeer({ client: true, maxFrameBytes: YAMUX_INITIAL_WINDOW, keepaliveMs: 0 });
    const a = session.open();
    const aErr = streamError(a);
    const closed = closeError(session);
    raw.send(DATA, ACK, a.id, YAMUX_INITIAL_WINDOW + 1);
    const err = await closed;
    expect(err?.code).toBe(ErrorCodes.FRAME_TOO_LARGE);
    expect((await aErr)?.code).toBe(ErrorCodes.SESSION_CLOSED);
    const goAway = await raw.waitFrame((f) => f.type === GO_AWAY);
    expect(goAway.length).toBe(YamuxGoAwayCode.PROTOCOL_ERROR);
    await raw.waitClosed();
  });

  it('keepalive: a peer that never answers closes the session with TFGW_ERR_TIMEOUT', async () => {
    const { session, raw } = await res.rawPeer({ client: true, keepaliveMs: 10, keepaliveTimeoutMs: 30 });
    const err = await closeError(session);
    expect(err?.code).toBe(ErrorCodes.TIMEOUT);
    expect(session.closed).toBe(true);
    await raw.waitClosed();
  });

  it('ping() rejects with TFGW_ERR_TIMEOUT when unanswered', async () => {
    const { session } = await res.rawPeer({ client: true, keepaliveMs: 0 });
    await expect(session.ping(20)).rejects.toMatchObject({ code: ErrorCodes.TIMEOUT });
  });

  it('answers pings, but a flood that is never read cannot grow the write buffer without bound', async () => {
    const { session, raw } = await res.rawPeer({ client: false, keepaliveMs: 0 });
    let got = 0;
    session.on('stream', (s: MuxedStream) => s.on('data', () => got++));
    raw.socket.pause();
    const n = 1_000_000;
    const flood = Buffer.allocUnsafe(n * YAMUX_HEADER_SIZE);
    for (let i = 0; i < n; i++) encodeYamuxHeader(PING, SYN, 0, i).copy(flood, i * YAMUX_HEADER_SIZE);
    raw.socket.write(flood);
    raw.send(DATA, SYN, 1, 1, Buffer.from('!'));
    await until(() => got === 1, 'the session processed the whole flood');
    const conn = (session as unknown as { conn: { writableLength: number } }).conn;
    expect(conn.writableLength).toBeLessThanOrEqual(MAX_UNFLUSHED_REPLIES * YAMUX_HEADER_SIZE);
    expect(session.closed).toBe(false);
  });

  it('tolerates frames for streams it already reset (in flight by the spec)', async () => {
    const { session, raw } = await res.rawPeer({ client: true, keepaliveMs: 0 });
    session.on('stream', (s: MuxedStream) => s.destroy());
    raw.send(WINDOW_UPDATE, SYN, 2, 0);
    await raw.waitFrame((f) => f.streamId === 2 && (f.flags & RST) !== 0);
    raw.send(DATA, 0, 2, 5, Buffer.from('late!'));
    raw.send(WINDOW_UPDATE, FIN, 2, 100);
    await barrier(raw, 7);
    expect(session.closed).toBe(false);
  });
});

describe('yamux protocol errors close only that session, with TFGW_ERR_PROTOCOL', () => {
  /** Each case drives a raw peer against a client session (odd ids are the session's, even the peer's). */
  const cases: Array<[string, (raw: RawPeer, ours: number) => void]> = [
    ['bad version', (raw) => raw.socket.write(Buffer.from([1, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0]))],
    ['unknown frame type', (raw) => raw.send(9, 0, 2, 0)],
    ['data on a stream never opened', (raw) => raw.send(DATA, 0, 40, 3, Buffer.from('abc'))],
    ['a window update for one of our ids we never used', (raw) => raw.send(WINDOW_UPDATE, 0, 99, 1)],
    ['stream id 0 on a stream frame', (raw) => raw.send(WINDOW_UPDATE, 0, 0, 1)],
    ['SYN with our parity', (raw) => raw.send(WINDOW_UPDATE, SYN, 101, 0)],
    ['duplicate SYN', (raw) => (raw.send(WINDOW_UPDATE, SYN, 2, 0), raw.send(WINDOW_UPDATE, SYN, 2, 0))],
    ['send window overflow', (raw, ours) => (raw.send(WINDOW_UPDATE, ACK, ours, 0xffff_0000), raw.send(WINDOW_UPDATE, 0, ours, 0xffff_0000))],
    ['data beyond the receive window', (raw, ours) => raw.send(DATA, ACK, ours, YAMUX_INITIAL_WINDOW + 1, Buffer.alloc(YAMUX_INITIAL_WINDOW + 1))],
    ['data after FIN', (raw, ours) => (raw.send(WINDOW_UPDATE, ACK | FIN, ours, 0), raw.send(DATA, 0, ours, 1, Buffer.from('x')))],
    ['unknown GO_AWAY code', (raw) => raw.send(GO_AWAY, 0, 0, 77)],
  ];

  it.each(cases)('%s', async (_name, act) => {
    const { session, raw } = await res.rawPeer({ client: true, keepaliveMs: 0 });
    session.on('stream', (s: MuxedStream) => s.on('error', () => undefined));
    const ours = session.open();
    const oursErr = streamError(ours);
    const closed = closeError(session);
    act(raw, ours.id);
    const err = await closed;
    expect(err).toBeInstanceOf(TfgwError);
    expect(err?.code).toBe(ErrorCodes.PROTOCOL);
    expect((await oursErr)?.code).toBe(ErrorCodes.SESSION_CLOSED);
    const goAway = await raw.waitFrame((f) => f.type === GO_AWAY);
    expect(goAway.length).toBe(YamuxGoAwayCode.PROTOCOL_ERROR);
    await raw.waitClosed();
    expect(() => session.open()).toThrow(expect.objectContaining({ code: ErrorCodes.SESSION_CLOSED }));
  });

  it('a peer GO_AWAY(protocol error) closes the session with TFGW_ERR_PROTOCOL', async () => {
    const { session, raw } = await res.rawPeer({ client: true, keepaliveMs: 0 });
    const closed = closeError(session);
    raw.send(GO_AWAY, 0, 0, YamuxGoAwayCode.PROTOCOL_ERROR);
    expect((await closed)?.code).toBe(ErrorCodes.PROTOCOL);
  });

  it('random bytes from a hostile peer never throw: the session closes with a coded error or on EOF (fuzz)', async () => {
    const codes = [ErrorCodes.PROTOCOL, ErrorCodes.FRAME_TOO_LARGE, ErrorCodes.SESSION_CLOSED];
    // Mostly well-formed headers with small ids / lengths, so the stream state machine is reached.
    const frame = fc
      .tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 64 }), fc.boolean())
      .map(([type, flags, id, len, garbage]) => {
        const payload = type === DATA ? Buffer.alloc(len, 0x5a) : Buffer.alloc(0);
        const h = encodeYamuxHeader(type, flags, id, len);
        if (garbage) h[0] = len & 3;
        return Buffer.concat([h, payload]);
      });
    const input = fc.oneof(fc.array(frame, { maxLength: 25 }).map((f) => Buffer.concat(f)), fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)));
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        const { session, raw } = await res.rawPeer({ client: true, keepaliveMs: 0, maxFrameBytes: YAMUX_INITIAL_WINDOW });
        session.on('stream', (s: MuxedStream) => {
          s.on('error', () => undefined);
          s.resume();
          if (s.id % 4 === 0) s.end('bye');
        });
        const mine = session.open();
        mine.on('error', () => undefined);
        mine.write('hello');
        const closed = closeError(session);
        // The garbage, a ping, then EOF: the session must end, either on a coded protocol
        // error or, having answered the ping if the garbage left it in a sane state, on EOF.
        raw.socket.write(bytes);
        raw.send(PING, SYN, 0, 0xfeed);
        raw.socket.end();
        const err = await closed;
        if (err !== undefined) {
          expect(err).toBeInstanceOf(TfgwError);
          expect(codes).toContain(err.code);
        }
        expect(session.closed).toBe(true);
        await res.cleanup();
      }),
      { numRuns: 150 },
    );
  });
});
