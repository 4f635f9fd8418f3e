/**
 * Runs the real `dig` and parses its output (header flags, status, EDNS, sections), for
 * DNS tests. Asynchronous on purpose: the server under test usually runs in the same process.
 */
import { execFile } from 'node:child_process';

/** One record line of dig's output. */
export interface DigRecord {
  /** Owner name as printed (with trailing dot, case as sent). */
  name: string;
  /** TTL. */
  ttl: number;
  /** Class. */
  class: string;
  /** Type mnemonic. */
  type: string;
  /** RDATA text as printed. */
  data: string;
}

/** A parsed dig answer. */
export interface DigResult {
  /** `NOERROR`, `NXDOMAIN`, `REFUSED`, ... */
  status: string;
  /** Header flags (`qr`, `aa`, `tc`, `rd`, `ra`, ...). */
  flags: string[];
  /** Message ID. */
  id: number;
  /** EDNS facts when the response had an OPT record. */
  edns?: { version: number; udp: number; flags: string[] };
  /** Question section lines (`name class type`). */
  question: string[];
  /** Sections. */
  answer: DigRecord[];
  authority: DigRecord[];
  additional: DigRecord[];
  /** The whole output. */
  raw: string;
}

/** `dig @127.0.0.1 -p PORT ...args`, resolves with the parsed answer (rejects when dig got none). */
export function dig(port: number, args: string[], host = '127.0.0.1'): Promise<DigResult> {
  return new Promise((resolve, reject) => {
    execFile('dig', [`@${host}`, '-p', String(port), '+tries=1', '+time=5', ...args], { timeout: 20000 }, (err, stdout) => {
      if (err && !stdout) return reject(err);
      try {
        resolve(parseDig(stdout));
      } catch (e) {
        reject(new Error(`${(e as Error).message}\n${stdout}`));
      }
    });
  });
}

/** `dig` with the given args, resolving with its raw output (zone transfers print no header). */
export function digRaw(port: number, args: string[], host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('dig', [`@${host}`, '-p', String(port), '+tries=1', '+time=5', ...args], { timeout: 20000 }, (err, stdout) => {
      if (err && !stdout) reject(err);
      else resolve(stdout);
    });
  });
}

/** Parses dig's default output. */
export function parseDig(out: string): DigResult {
  const header = /->>HEADER<<- opcode: \w+, status: (\w+), id: (\d+)/.exec(out);
  if (!header) throw new Error('dig printed no header (no answer?)');
  const flagLine = /;; flags:([^;]*);/.exec(out);
  const ednsLine = /; EDNS: version: (\d+), flags:([^;]*); udp: (\d+)/.exec(out);
  const res: DigResult = {
    status: header[1],
    id: Number(header[2]),
    flags: flagLine ? flagLine[1].trim().split(/\s+/).filter(Boolean) : [],
    edns: ednsLine ? { version: Number(ednsLine[1]), flags: ednsLine[2].trim().split(/\s+/).filter(Boolean), udp: Number(ednsLine[3]) } : undefined,
    question: [],
    answer: [],
    authority: [],
    additional: [],
    raw: out,
  };
  let section: 'question' | 'answer' | 'authority' | 'additional' | undefined;
  for (const line of out.split('\n')) {
    const s = /^;; (QUESTION|ANSWER|AUTHORITY|ADDITIONAL) SECTION:/.exec(line);
    if (s) {
      section = s[1].toLowerCase() as typeof section;
      continue;
    }
    if (line.trim() === '') {
      section = undefined;
      continue;
    }
    if (!section) continue;
    if (section === 'question') {
      res.question.push(line.replace(/^;/, '').trim().split(/\s+/).join(' '));
      continue;
    }
    const m = /^(\S+)\s+(\d+)\s+(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (m) res[section].push({ name: m[1], ttl: Number(m[2]), class: m[3], type: m[4], data: m[5].trim() });
  }
  return res;
}
