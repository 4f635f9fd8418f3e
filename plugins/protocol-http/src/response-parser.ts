import { ErrorCodes, TfgwError } from '@tfgw/core';
import { TCHAR, VCHAR } from './http-chars';

/**
 * A small, strict HTTP/1.1 response reader for the ingress's tunnel side (RFC 9112): the
 * service's answer is parsed here instead of by Node's HTTP client, which costs several
 * times more per request. It only has to understand what the ingress forwards: status
 * line, header fields, and where the body ends (Content-Length, chunked, or the end of the
 * stream). Anything it does not fully understand is refused with TFGW_ERR_BAD_MESSAGE
 * rather than guessed at: a proxy that frames a response differently from the visitor is
 * how response splitting and desync attacks work.
 */

/** How a response body is delimited (RFC 9112 §6.3). */
export type BodyFraming = 'none' | 'length' | 'chunked' | 'close';

/** A parsed response head. */
export interface ResponseHead {
  /** Status code, 100-999. */
  statusCode: number;
  /** Reason phrase, possibly empty. */
  statusMessage: string;
  /** HTTP/1.1 (true) or HTTP/1.0 (false). */
  http11: boolean;
  /** Fields as received, flat: name, value, name, value, ... (names as sent, values without surrounding whitespace). */
  rawHeaders: string[];
  /** How the body ends. */
  framing: BodyFraming;
  /** Body length for `length` framing, else -1. */
  contentLength: number;
  /** The connection may carry another exchange after this one: not `Connection: close` (HTTP/1.0: `keep-alive` given), body not close-delimited. */
  keepAlive: boolean;
  /** Lower-case field names the `Connection` header lists (hop-by-hop), when it lists any besides close / keep-alive. */
  connectionTokens: string[] | undefined;
  /** Per field (index = field number): 1 when it is not for the visitor (hop-by-hop framing and connection fields, a repeated Content-Length), else 0. Fields named in `connectionTokens` are not marked. */
  drop: number[];
  /** A Date field is present. */
  hasDate: boolean;
}

/** What a {@link ResponseReader} reports, in order: `onHead` once, `onBody` zero or more times, then `onEnd` once. */
export interface ResponseSink {
  /** The final response head (1xx interim answers are skipped). */
  onHead(head: ResponseHead): void;
  /** A piece of the (de-chunked) body. The buffer is a view of the input: consume or copy it before returning. */
  onBody(chunk: Buffer): void;
  /** The response is complete. `extra` is true when the service sent bytes past its end (the connection must not be reused). */
  onEnd(extra: boolean): void;
}

function bad(message: string): TfgwError {
  return new TfgwError(ErrorCodes.BAD_MESSAGE, `the service sent an invalid response: ${message}`);
}

/** Value of a hex digit + 1, 0 when not one. */
const HEX = new Uint8Array(256);
for (let c = 0; c < 10; c++) HEX[0x30 + c] = c + 1;
for (let c = 0; c < 6; c++) {
  HEX[0x41 + c] = c + 11;
  HEX[0x61 + c] = c + 11;
}

const CR = 0x0d;
const LF = 0x0a;

/** Lower-cases ASCII letters (field names are tchar, so this is all the folding needed). */
function lower(s: string): string {
  return s.toLowerCase();
}

/**
 * `s` equals `lit` (lower-case letters and `-`) ignoring ASCII case, without allocating.
 * `c | 0x20` folds only letters onto `lit`'s characters; the one other byte it maps onto
 * `-` is CR, which never reaches here (names are tchar, values have no controls).
 */
function eqi(s: string, lit: string): boolean {
  if (s.length !== lit.length) return false;
  for (let i = 0; i < lit.length; i++) if ((s.charCodeAt(i) | 0x20) !== lit.charCodeAt(i)) return false;
  return true;
}

/** Splits a comma-separated list into lower-case trimmed tokens, empty ones dropped. */
function tokens(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(',')) {
    const t = part.trim();
    if (t !== '') out.push(lower(t));
  }
  return out;
}

/**
 * Parses one response head (`text` is its latin1 string without the final empty line).
 * `headRequest` says the request was HEAD (no body, whatever the fields say). Throws
 * TFGW_ERR_BAD_MESSAGE for anything outside RFC 9112's grammar or with ambiguous framing.
 */
export function parseResponseHead(text: string, headRequest: boolean): ResponseHead {
  // Status line: HTTP/1.x SP 3DIGIT [SP reason]
  const eol = text.indexOf('\r\n');
  const lineEnd = eol < 0 ? text.length : eol;
  if (lineEnd < 12 || !text.startsWith('HTTP/1.') || text.charCodeAt(8) !== 0x20) throw bad('malformed status line');
  const minor = text.charCodeAt(7);
  if (minor !== 0x31 && minor !== 0x30) throw bad('unsupported HTTP version');
  const d0 = text.charCodeAt(9) - 0x30;
  const d1 = text.charCodeAt(10) - 0x30;
  const d2 = text.charCodeAt(11) - 0x30;
  if (d0 < 1 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) throw bad('malformed status code');
  const statusCode = d0 * 100 + d1 * 10 + d2;
  let statusMessage = '';
  if (lineEnd > 12) {
    if (text.charCodeAt(12) !== 0x20) throw bad('malformed status line');
    for (let i = 13; i < lineEnd; i++) if (VCHAR[text.charCodeAt(i)] !== 1) throw bad('control character in the reason phrase');
    statusMessage = text.slice(13, lineEnd);
  }
  const http11 = minor === 0x31;

  const rawHeaders: string[] = [];
  const drop: number[] = [];
  let hasDate = false;
  let contentLength = -1;
  let chunked = false;
  let transferEncoding = false;
  let close = !http11;
  let connectionTokens: string[] | undefined;
  let pos = eol < 0 ? text.length : eol + 2;
  while (pos < text.length) {
    let end = text.indexOf('\r\n', pos);
    if (end < 0) end = text.length;
    // field-name ":" OWS field-value OWS; no whitespace before the colon, no obs-fold.
    let i = pos;
    while (i < end && TCHAR[text.charCodeAt(i)] === 1) i++;
    if (i === pos || i === end || text.charCodeAt(i) !== 0x3a) throw bad(i === pos && (text.charCodeAt(pos) === 0x20 || text.charCodeAt(pos) === 0x09) ? 'obsolete line folding' : 'malformed header field');
    const name = text.slice(pos, i);
    let vs = i + 1;
    let ve = end;
    for (let k = vs; k < ve; k++) if (VCHAR[text.charCodeAt(k)] !== 1) throw bad(`control character in the value of ${name}`);
    while (vs < ve && (text.charCodeAt(vs) === 0x20 || text.charCodeAt(vs) === 0x09)) vs++;
    while (ve > vs && (text.charCodeAt(ve - 1) === 0x20 || text.charCodeAt(ve - 1) === 0x09)) ve--;
    const value = text.slice(vs, ve);
    rawHeaders.push(name, value);
    // Only a few names matter here; their lengths pick the candidates without lower-casing anything.
    let d = 0;
    switch (name.length) {
      case 4:
        if (eqi(name, 'date')) hasDate = true;
        break;
      case 7:
        if (eqi(name, 'trailer') || eqi(name, 'upgrade')) d = 1;
        break;
      case 10:
        if (eqi(name, 'keep-alive')) d = 1;
        else if (eqi(name, 'connection')) {
          d = 1;
          if (eqi(value, 'keep-alive')) {
            if (!http11) close = false;
          } else if (eqi(value, 'close')) close = true;
          else {
            for (const t of tokens(value)) {
              if (t === 'close') close = true;
              else if (t === 'keep-alive') {
                if (!http11) close = false;
              } else (connectionTokens ??= []).push(t);
            }
          }
        }
        break;
      case 14:
        if (eqi(name, 'content-length')) {
          if (value.length === 0 || value.length > 15) throw bad('invalid Content-Length');
          for (let k = 0; k < value.length; k++) {
            const c = value.charCodeAt(k);
            if (c < 0x30 || c > 0x39) throw bad('invalid Content-Length');
          }
          const n = Number(value);
          if (contentLength >= 0) {
            if (n !== contentLength) throw bad('conflicting Content-Length fields');
            d = 1;
          }
          contentLength = n;
        }
        break;
      case 16:
        if (eqi(name, 'proxy-connection')) d = 1;
        break;
      case 17:
        if (eqi(name, 'transfer-encoding')) {
          // Only plain `chunked`: any other coding would be lost when the body is re-framed.
          if (transferEncoding || !eqi(value, 'chunked')) throw bad(`unsupported Transfer-Encoding "${value}"`);
          transferEncoding = true;
          chunked = true;
          d = 1;
        }
        break;
      default:
        break;
    }
    drop.push(d);
    pos = end + 2;
  }
  if (transferEncoding && contentLength >= 0) throw bad('both Transfer-Encoding and Content-Length');
  if (transferEncoding && !http11) throw bad('Transfer-Encoding in an HTTP/1.0 response');
  let framing: BodyFraming;
  if (headRequest || statusCode < 200 || statusCode === 204 || statusCode === 304) framing = 'none';
  else if (chunked) framing = 'chunked';
  else if (contentLength >= 0) framing = contentLength === 0 ? 'none' : 'length';
  else framing = 'close';
  return {
    statusCode,
    statusMessage,
    http11,
    rawHeaders,
    framing,
    contentLength: framing === 'length' ? contentLength : -1,
    keepAlive: !close && framing !== 'close',
    connectionTokens,
    drop,
    hasDate,
  };
}

/** Parser states. */
const enum S {
  HEAD,
  LENGTH,
  CLOSE,
  CHUNK_SIZE,
  CHUNK_SIZE_WS,
  CHUNK_EXT,
  CHUNK_SIZE_LF,
  CHUNK_DATA,
  CHUNK_DATA_CR,
  CHUNK_DATA_LF,
  TRAILER_START,
  TRAILER,
  TRAILER_LF,
  END_LF,
  DONE,
  FAILED,
}

/** Longest chunk-size line (size and extensions). */
const MAX_CHUNK_LINE = 4096;
/** Largest chunk size accepted: 2^48 - 1 bytes (12 hex digits). */
const MAX_CHUNK_HEX_DIGITS = 12;

/**
 * Reads one response from a byte stream, incrementally: {@link feed} takes the pieces as
 * they arrive (split anywhere), {@link end} says the stream ended. It reports to its sink;
 * bytes are never copied except a head split over several pieces. Errors are thrown as
 * TfgwError (TFGW_ERR_BAD_MESSAGE for a malformed answer, TFGW_ERR_CONNECTION_RESET for
 * one cut short); after one, the reader is dead.
 */
export class ResponseReader {
  private state = S.HEAD;
  private pending: Buffer | null = null;
  private remaining = 0;
  private lineBytes = 0;
  private trailerBytes = 0;
  private sizeDigits = 0;
  /** Bytes of the answer received so far (heads included). */
  received = 0;

  /**
   * @param sink where the head and body go
   * @param headRequest the request was HEAD: the answer has no body
   * @param maxHeadBytes largest head (and trailer section) accepted
   */
  constructor(
    private readonly sink: ResponseSink,
    private readonly headRequest: boolean,
    private readonly maxHeadBytes: number,
  ) {}

  /** True once the whole response was read. */
  get complete(): boolean {
    return this.state === S.DONE;
  }

  /** True once the final head was read. */
  get headDone(): boolean {
    return this.state !== S.HEAD && this.state !== S.FAILED;
  }

  /** Takes the next piece of the stream. */
  feed(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.received += chunk.length;
    if (this.state === S.DONE || this.state === S.FAILED) return;
    try {
      this.run(chunk);
    } catch (err) {
      this.state = S.FAILED;
      throw err;
    }
  }

  /** Stops the reader (the exchange is over for another reason): later input is ignored, no more callbacks. */
  abort(): void {
    this.state = S.FAILED;
  }

  /** The stream ended: completes a close-delimited body, else the answer was cut short. */
  end(): void {
    if (this.state === S.CLOSE) {
      this.state = S.DONE;
      this.sink.onEnd(false);
      return;
    }
    if (this.state === S.DONE || this.state === S.FAILED) return;
    this.state = S.FAILED;
    throw new TfgwError(ErrorCodes.CONNECTION_RESET, this.received === 0 ? 'the service closed the connection without answering' : 'the service closed the connection in the middle of its answer');
  }

  private run(input: Buffer): void {
    let buf = input;
    let pos = 0;
    while (pos < buf.length) {
      switch (this.state) {
        case S.HEAD: {
          let from = pos;
          if (this.pending) {
            const before = this.pending.length;
            buf = Buffer.concat([this.pending, buf.subarray(pos)]);
            this.pending = null;
            from = Math.max(0, before - 3);
            pos = 0;
          }
          const end = buf.indexOf('\r\n\r\n', from, 'latin1');
          if (end < 0) {
            // Up to 3 bytes of the terminator may be in already: not counted as head.
            if (buf.length - pos - 3 > this.maxHeadBytes) throw bad(`response head larger than ${this.maxHeadBytes} bytes`);
            this.pending = pos === 0 ? buf : buf.subarray(pos);
            return;
          }
          if (end - pos > this.maxHeadBytes) throw bad(`response head larger than ${this.maxHeadBytes} bytes`);
          const head = parseResponseHead(buf.toString('latin1', pos, end), this.headRequest);
          pos = end + 4;
          if (head.statusCode < 200) {
            // 100 Continue, 102 Processing, 103 Early Hints: interim, the final answer follows.
            // 101 was never asked for on this path (upgrades go to their own handler).
            if (head.statusCode === 101) throw bad('101 Switching Protocols without an upgrade request');
            continue;
          }
          this.sink.onHead(head);
          if (this.state !== S.HEAD) return; // the sink stopped the reader
          if (head.framing === 'none') {
            this.finish(buf, pos);
            return;
          }
          if (head.framing === 'length') {
            this.state = S.LENGTH;
            this.remaining = head.contentLength;
          } else if (head.framing === 'chunked') {
            this.state = S.CHUNK_SIZE;
            this.lineBytes = 0;
            this.sizeDigits = 0;
            this.remaining = 0;
          } else this.state = S.CLOSE;
          break;
        }
        case S.LENGTH: {
          const n = Math.min(this.remaining, buf.length - pos);
          this.remaining -= n;
          this.sink.onBody(n === buf.length && pos === 0 ? buf : buf.subarray(pos, pos + n));
          pos += n;
          if (this.state !== S.LENGTH) return;
          if (this.remaining === 0) {
            this.finish(buf, pos);
            return;
          }
          break;
        }
        case S.CLOSE:
          this.sink.onBody(pos === 0 ? buf : buf.subarray(pos));
          return;
        case S.CHUNK_DATA: {
          const n = Math.min(this.remaining, buf.length - pos);
          this.remaining -= n;
          this.sink.onBody(buf.subarray(pos, pos + n));
          pos += n;
          if (this.state !== S.CHUNK_DATA) return;
          if (this.remaining === 0) this.state = S.CHUNK_DATA_CR;
          break;
        }
        default:
          pos = this.chunkFraming(buf, pos);
          if (this.state === S.DONE) {
            this.finish(buf, pos);
            return;
          }
      }
    }
  }

  /** Steps through chunk-size lines, chunk CRLFs and the trailer section, byte by byte; returns the next position. */
  private chunkFraming(buf: Buffer, start: number): number {
    let pos = start;
    while (pos < buf.length) {
      const c = buf[pos];
      switch (this.state) {
        case S.CHUNK_SIZE: {
          const h = HEX[c];
          if (h !== 0) {
            if (++this.sizeDigits > MAX_CHUNK_HEX_DIGITS) throw bad('chunk size too large');
            this.remaining = this.remaining * 16 + (h - 1);
          } else {
            if (this.sizeDigits === 0) throw bad('malformed chunk size');
            if (c === CR) this.state = S.CHUNK_SIZE_LF;
            else if (c === 0x3b) this.state = S.CHUNK_EXT;
            else if (c === 0x20 || c === 0x09) this.state = S.CHUNK_SIZE_WS;
            else throw bad('malformed chunk size');
          }
          break;
        }
        case S.CHUNK_SIZE_WS:
          if (c === 0x3b) this.state = S.CHUNK_EXT;
          else if (c === CR) this.state = S.CHUNK_SIZE_LF;
          else if (c !== 0x20 && c !== 0x09) throw bad('malformed chunk size');
          break;
        case S.CHUNK_EXT:
          if (c === CR) this.state = S.CHUNK_SIZE_LF;
          else if (VCHAR[c] !== 1) throw bad('control character in a chunk extension');
          break;
        case S.CHUNK_SIZE_LF:
          if (c !== LF) throw bad('chunk size line not ended by CRLF');
          this.lineBytes = 0;
          this.sizeDigits = 0;
          if (this.remaining === 0) {
            this.state = S.TRAILER_START;
            this.trailerBytes = 0;
          } else {
            this.state = S.CHUNK_DATA;
            return pos + 1;
          }
          break;
        case S.CHUNK_DATA_CR:
          if (c !== CR) throw bad('chunk data not followed by CRLF');
          this.state = S.CHUNK_DATA_LF;
          break;
        case S.CHUNK_DATA_LF:
          if (c !== LF) throw bad('chunk data not followed by CRLF');
          this.state = S.CHUNK_SIZE;
          this.remaining = 0;
          break;
        case S.TRAILER_START:
          if (c === CR) this.state = S.END_LF;
          else if (TCHAR[c] === 1) this.state = S.TRAILER;
          else throw bad('malformed trailer field');
          break;
        case S.TRAILER:
          if (c === CR) this.state = S.TRAILER_LF;
          else if (VCHAR[c] !== 1) throw bad('control character in a trailer field');
          break;
        case S.TRAILER_LF:
          if (c !== LF) throw bad('trailer field not ended by CRLF');
          this.state = S.TRAILER_START;
          break;
        case S.END_LF:
          if (c !== LF) throw bad('chunked body not ended by CRLF');
          this.state = S.DONE;
          return pos + 1;
        default:
          return pos;
      }
      pos++;
      if (this.state === S.TRAILER || this.state === S.TRAILER_START || this.state === S.TRAILER_LF || this.state === S.END_LF) {
        if (++this.trailerBytes > this.maxHeadBytes) throw bad(`trailer section larger than ${this.maxHeadBytes} bytes`);
      } else if (++this.lineBytes > MAX_CHUNK_LINE) throw bad('chunk size line too long');
    }
    return pos;
  }

  private finish(buf: Buffer, pos: number): void {
    this.state = S.DONE;
    this.sink.onEnd(pos < buf.length);
  }
}
