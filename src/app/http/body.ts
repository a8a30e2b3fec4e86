/**
 * Reads a GraphQL request's JSON body straight off the socket, with the limits and answers the
 * contract fixes: a body over the limit is 413 PAYLOAD_TOO_LARGE (counted after decompression, so a
 * small gzip bomb is refused too), a charset or content-encoding we cannot decode is 415, and
 * anything unreadable is 400. Only `application/json` bodies are read: any other content type is
 * left for Apollo, whose CSRF prevention and content-type checks answer it without a body.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { HttpErrorCode } from '../../errors.js';

export type BodyResult =
  | { ok: true; body: unknown }
  | { ok: false; status: number; code: Extract<HttpErrorCode, 'BAD_REQUEST' | 'PAYLOAD_TOO_LARGE'>; message: string };

const TOO_LARGE: BodyResult = {
  ok: false,
  status: 413,
  code: 'PAYLOAD_TOO_LARGE',
  message: 'request body too large',
};
const MALFORMED: BodyResult = { ok: false, status: 400, code: 'BAD_REQUEST', message: 'malformed request body' };
// 415 keeps the "malformed request body" wording: the client sent something we cannot read.
const UNSUPPORTED: BodyResult = { ok: false, status: 415, code: 'BAD_REQUEST', message: 'malformed request body' };
const NO_BODY: BodyResult = { ok: true, body: undefined };

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;

export function readJsonBody(req: IncomingMessage, limit: number): Promise<BodyResult> | BodyResult {
  const type = req.headers['content-type'];
  if (type === undefined || !isJsonType(type)) return NO_BODY;
  const length = req.headers['content-length'];
  // No length and no chunked framing: the request has no body at all (as opposed to an empty one).
  if (length === undefined && req.headers['transfer-encoding'] === undefined) return NO_BODY;

  const charset = CHARSET.exec(type)?.[1]?.toLowerCase() || 'utf-8';
  // JSON is Unicode (RFC 8259); anything else is not a charset we decode.
  if (!charset.startsWith('utf-')) return UNSUPPORTED;
  let decoder: TextDecoder | null = null;
  if (charset !== 'utf-8') {
    try {
      decoder = new TextDecoder(charset);
    } catch {
      return UNSUPPORTED;
    }
  }

  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  let source: Readable = req;
  let inflating: zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | null = null;
  if (encoding === 'identity') {
    // Refuse a declared oversized body before reading a byte of it.
    if (length !== undefined && Number(length) > limit) return TOO_LARGE;
  } else {
    const inflate =
      encoding === 'gzip'
        ? zlib.createGunzip()
        : encoding === 'deflate'
          ? zlib.createInflate()
          : encoding === 'br'
            ? zlib.createBrotliDecompress()
            : null;
    if (!inflate) return UNSUPPORTED;
    inflating = inflate;
    source = req.pipe(inflate);
  }
  return collect(req, source, inflating, limit, decoder);
}

/** `application/json` with any parameters, as Express's JSON parser matched it. */
function isJsonType(header: string): boolean {
  const semi = header.indexOf(';');
  const media = (semi === -1 ? header : header.slice(0, semi)).trim();
  return media.length === 16 && media.toLowerCase() === 'application/json';
}

// Under tsx every per-request closure bound to a name costs a defineProperty (esbuild's keepNames):
// the reader keeps its state on an object and its listeners are anonymous.
function collect(
  req: IncomingMessage,
  source: Readable,
  inflating: zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | null,
  limit: number,
  decoder: TextDecoder | null,
): Promise<BodyResult> {
  return new Promise((resolve) => {
    const reader = new BodyReader(req, inflating, limit, resolve);
    source.on('data', (chunk: Buffer) => reader.data(chunk));
    source.once('end', () => reader.settle(parse(reader.chunks, decoder)));
    source.once('error', () => reader.settle(MALFORMED));
    // A client that leaves mid-body: nobody reads the answer, but the promise must still settle.
    req.once('close', () => {
      if (!req.complete) reader.settle(MALFORMED);
    });
  });
}

class BodyReader {
  readonly chunks: Buffer[] = [];
  private received = 0;
  private settled = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly inflating: zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | null,
    private readonly limit: number,
    private readonly resolve: (result: BodyResult) => void,
  ) {}

  data(chunk: Buffer): void {
    if (this.settled) return;
    this.received += chunk.length;
    if (this.received > this.limit) return this.settle(TOO_LARGE);
    this.chunks.push(chunk);
  }

  settle(result: BodyResult): void {
    if (this.settled) return;
    this.settled = true;
    if (!result.ok) {
      if (this.inflating) {
        this.req.unpipe(this.inflating);
        this.inflating.destroy();
      }
      // Whatever is left of a refused body is read and dropped, so the keep-alive connection stays
      // usable and the client sees our answer rather than a reset while it is still writing.
      this.req.resume();
    }
    this.resolve(result);
  }
}

function parse(chunks: Buffer[], decoder: TextDecoder | null): BodyResult {
  const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  // An empty body is an empty object (Apollo then answers what is missing), as before.
  if (bytes.length === 0) return { ok: true, body: {} };
  let text = decoder ? decoder.decode(bytes) : bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // Only an object or an array is a GraphQL request body; a bare scalar is refused unparsed.
  const first = /\S/.exec(text)?.[0];
  if (first !== '{' && first !== '[') return MALFORMED;
  try {
    return { ok: true, body: JSON.parse(text) as unknown };
  } catch {
    return MALFORMED;
  }
}
