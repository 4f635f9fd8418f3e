import fc from 'fast-check';
import { PortPool, parsePortRange, TfgwError, ErrorCodes } from '@tfgw/core';

describe('PortPool', () => {
  it('hands out the preferred port when free, else the next free one', () => {
    const pool = new PortPool('20000-20002', 'gateway.ports.tcp');
    expect(pool.allocate(20001)).toBe(20001);
    expect(pool.allocate(20001)).toBe(20000);
    expect(pool.allocate()).toBe(20002);
    expect(() => pool.allocate()).toThrow(expect.objectContaining({ code: ErrorCodes.PORT_UNAVAILABLE }));
    pool.release(20001);
    expect(pool.allocate()).toBe(20001);
  });

  it('never hands out a port twice (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(-1), fc.integer({ min: 19990, max: 20020 })), { maxLength: 60 }), (ops) => {
        const pool = new PortPool('20000-20015', 'k');
        const held = new Set<number>();
        for (const op of ops) {
          if (op === -1 && held.size) {
            const p = [...held][0];
            pool.release(p);
            held.delete(p);
            continue;
          }
          try {
            const p = pool.allocate(op === -1 ? undefined : op);
            expect(held.has(p)).toBe(false);
            expect(p).toBeGreaterThanOrEqual(20000);
            expect(p).toBeLessThanOrEqual(20015);
            held.add(p);
          } catch (e) {
            expect((e as TfgwError).code).toBe(ErrorCodes.PORT_UNAVAILABLE);
            expect(held.size).toBe(16);
          }
        }
      }),
    );
  });

  it('rejects malformed ranges with a config error', () => {
    for (const bad of ['abc', '5-1', '0-10', '70000', '']) {
      expect(() => parsePortRange(bad)).toThrow(expect.objectContaining({ code: ErrorCodes.CONFIG }));
    }
  });
});
