/** Helpers of the dns-dns2 tests. */

/** A minimal query without EDNS. */
export function rawQuery(id: number, name: string, qtype: number): Buffer {
  const parts = [Buffer.alloc(12)];
  parts[0].writeUInt16BE(id, 0);
  parts[0].writeUInt16BE(1, 4);
  for (const l of name.split('.')) parts.push(Buffer.from([l.length]), Buffer.from(l));
  parts.push(Buffer.from([0, qtype >> 8, qtype & 255, 0, 1]));
  return Buffer.concat(parts);
}
