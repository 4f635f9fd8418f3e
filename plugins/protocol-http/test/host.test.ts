import { isIPv6 } from 'node:net';
import fc from 'fast-check';
import { parseHostHeader, requestHost, splitRequestTarget } from '../src/host';

/** Randomly upper-cases letters. */
const randomCase = (text: string) => fc.array(fc.boolean(), { minLength: text.length, maxLength: text.length }).map((flags) => [...text].map((c, i) => (flags[i] ? c.toUpperCase() : c)).join(''));

describe('parseHostHeader', () => {
  it('lower-cases, strips the port and one trailing dot', () => {
    fc.assert(
      fc.property(
        fc.domain().chain((d) => fc.tuple(fc.constant(d), randomCase(d))),
        fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }),
        fc.boolean(),
        ([domain, cased], port, dot) => {
          const header = `${cased}${dot ? '.' : ''}${port !== undefined ? `:${port}` : ''}`;
          const parsed = parseHostHeader(header);
          expect(parsed).toEqual({ hostname: domain.toLowerCase(), ...(port !== undefined ? { port } : {}) });
        },
      ),
    );
  });

  it('reads bracketed IPv6 with and without a port', () => {
    fc.assert(
      fc.property(fc.ipV6(), fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }), (ip, port) => {
        const parsed = parseHostHeader(`[${ip.toUpperCase()}]${port !== undefined ? `:${port}` : ''}`);
        expect(parsed).toEqual({ hostname: ip.toLowerCase(), ...(port !== undefined ? { port } : {}) });
      }),
    );
  });

  it('never throws, and whatever it returns is a clean lower-case name', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.fullUnicodeString(), fc.stringOf(fc.constantFrom('a', 'B', '.', ':', '[', ']', '1', '-', ' ', '@', '/'))), (text) => {
        const parsed = parseHostHeader(text);
        if (parsed === undefined) return;
        expect(parsed.hostname).toBe(parsed.hostname.toLowerCase());
        expect(parsed.hostname.endsWith('.')).toBe(false);
        expect(parsed.hostname).toMatch(/^(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*|[0-9a-f:.]+)$/);
        if (parsed.port !== undefined) expect(parsed.port).toBeLessThanOrEqual(65535);
      }),
    );
  });

  it('takes a bracketed host only when it is an IPv6 address', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV6(), fc.stringOf(fc.constantFrom('0', '1', 'a', 'F', ':', '.'), { maxLength: 12 })), (inner) => {
        const parsed = parseHostHeader(`[${inner}]`);
        if (isIPv6(inner)) expect(parsed).toEqual({ hostname: inner.toLowerCase() });
        else expect(parsed).toBeUndefined();
      }),
    );
  });

  it.each(['', ' ', 'a b', 'x:99999', 'x:', 'user@host', 'host/path', 'a..b', '.', '::1', 'a:b:80', '[zz]:80', '[.]', '[:]', '[1]:80', '[1.2.3.4]', '[:::]', undefined])('refuses %p', (text) => {
    expect(parseHostHeader(text as string)).toBeUndefined();
  });
});

describe('splitRequestTarget', () => {
  it('takes the authority and path of an absolute-form target, ignoring user info', () => {
    fc.assert(
      fc.property(fc.domain(), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), fc.webPath(), fc.boolean(), (domain, port, p, user) => {
        const authority = `${domain}${port ? `:${port}` : ''}`;
        const target = splitRequestTarget(`http://${user ? 'u:p@' : ''}${authority}${p}`);
        expect(target.authority).toBe(authority);
        expect(target.path).toBe(p === '' ? '/' : p.startsWith('/') ? p : `/${p}`);
        expect(requestHost('other.example', target)?.hostname).toBe(domain.toLowerCase());
      }),
    );
  });

  it('passes origin-form targets through', () => {
    fc.assert(
      fc.property(fc.webPath(), (p) => {
        const t = `/${p.replace(/^\//, '')}`;
        expect(splitRequestTarget(t)).toEqual({ path: t });
      }),
    );
  });
});
