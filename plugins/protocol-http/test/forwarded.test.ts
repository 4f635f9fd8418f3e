import fc from 'fast-check';
import { appendForwarded, formatForwardedElement, forwardedNode, forwardedValue, plainAddress, type ForwardedElement } from '../src/forwarded';

/** RFC 7239 grammar: elements separated by commas, pairs by semicolons, values token or quoted-string. */
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const QUOTED = '"(?:[\\t\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]|\\\\[\\t\\x20-\\x7e])*"';
const PAIR = `${TOKEN}=(?:${TOKEN}|${QUOTED})`;
const ELEMENT = `${PAIR}(?:;${PAIR})*`;
const HEADER_RE = new RegExp(`^${ELEMENT}(?:, ${ELEMENT})*$`);

/** A small RFC 7239 parser for the round trip: element list of key -> value maps. */
function parseForwarded(header: string): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  let i = 0;
  let current: Record<string, string> = {};
  while (i < header.length) {
    const key = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/.exec(header.slice(i))![0];
    i += key.length + 1; // '='
    let value = '';
    if (header[i] === '"') {
      i++;
      while (header[i] !== '"') {
        if (header[i] === '\\') i++;
        value += header[i++];
      }
      i++;
    } else {
      value = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/.exec(header.slice(i))![0];
      i += value.length;
    }
    current[key.toLowerCase()] = value;
    if (header[i] === ';') i++;
    else if (header.startsWith(', ', i)) {
      out.push(current);
      current = {};
      i += 2;
    }
  }
  out.push(current);
  return out;
}

const printable = fc.stringOf(fc.char(), { minLength: 1 });
const element = fc.record({ for: printable, by: printable, host: printable, proto: fc.constantFrom('http', 'https') }, { requiredKeys: ['for'] }) as fc.Arbitrary<ForwardedElement>;

describe('Forwarded header building (RFC 7239)', () => {
  it('always matches the grammar and parses back to the same values', () => {
    fc.assert(
      fc.property(fc.array(element, { minLength: 1, maxLength: 4 }), (elements) => {
        let header: string | undefined;
        for (const e of elements) header = appendForwarded(header, e);
        expect(header).toMatch(HEADER_RE);
        expect(parseForwarded(header!)).toEqual(elements.map((e) => Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined))));
      }),
    );
  });

  it('drops characters a quoted-string cannot carry instead of passing them on', () => {
    fc.assert(
      fc.property(fc.fullUnicodeString(), (text) => {
        const v = forwardedValue(text);
        expect(`a=${v}`).toMatch(new RegExp(`^${PAIR}$`));
        expect(v).not.toMatch(/[\r\n\0]/);
      }),
    );
  });

  it('writes nodes as the RFC says: IPv6 in brackets (so quoted), ports after a colon', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV6(), fc.integer({ min: 1, max: 65535 }), (v4, v6, port) => {
        expect(forwardedNode(v4)).toBe(v4);
        expect(forwardedNode(v4, port)).toBe(`${v4}:${port}`);
        expect(forwardedNode(v6)).toBe(`[${v6}]`);
        expect(formatForwardedElement({ for: forwardedNode(v6, port) })).toBe(`for="[${v6}]:${port}"`);
        expect(forwardedNode(`::ffff:${v4}`)).toBe(v4);
      }),
    );
    expect(forwardedNode('unknown')).toBe('unknown');
    expect(plainAddress('fe80::1%eth0')).toBe('fe80::1');
  });

  it('orders pairs for, by, host, proto', () => {
    expect(formatForwardedElement({ proto: 'https', host: 'a.example', for: '192.0.2.60' })).toBe('for=192.0.2.60;host=a.example;proto=https');
    expect(formatForwardedElement({ for: '192.0.2.60', host: 'a.example:8080' })).toBe('for=192.0.2.60;host="a.example:8080"');
  });
});
