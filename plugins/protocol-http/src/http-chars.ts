/**
 * Character classes of HTTP/1.1 (RFC 9110 / 9112) as lookup tables indexed by char code,
 * shared by the request parser, the response parser and the head checks.
 */

/** 1 for tchar (RFC 9110 §5.6.2): the characters of field names, methods and tokens. */
export const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

/** 1 for characters allowed in field values and reason phrases: HTAB, SP, VCHAR, obs-text. */
export const VCHAR = new Uint8Array(256);
VCHAR[0x09] = 1;
for (let c = 0x20; c <= 0x7e; c++) VCHAR[c] = 1;
for (let c = 0x80; c <= 0xff; c++) VCHAR[c] = 1;
