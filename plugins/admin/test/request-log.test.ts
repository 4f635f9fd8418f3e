import { RequestLog } from '../src/request-log';

const entry = (path: string) => ({ time: 1, method: 'GET', host: 'h', path, status: 200, bytes: 0, durationMs: 1 });

describe('RequestLog', () => {
  it('keeps the last `size` entries with increasing seq and tells subscribers', () => {
    const log = new RequestLog(3);
    const seen: string[] = [];
    const off = log.subscribe((e) => seen.push(`${e.seq}${e.path}`));
    for (const p of ['/a', '/b', '/c', '/d']) log.add(entry(p));
    expect(log.recent().map((e) => e.path)).toEqual(['/b', '/c', '/d']);
    expect(log.recent(3).map((e) => e.seq)).toEqual([4]);
    expect(log.recent(0, 1).map((e) => e.path)).toEqual(['/d']);
    expect(seen).toEqual(['1/a', '2/b', '3/c', '4/d']);
    off();
    log.add(entry('/e'));
    expect(seen).toHaveLength(4);
  });
  it('drops a subscriber that throws and goes on', () => {
    const log = new RequestLog(2);
    log.subscribe(() => {
      throw new Error('broken');
    });
    expect(() => log.add(entry('/x'))).not.toThrow();
    expect(log.subscriberCount).toBe(0);
  });
});
