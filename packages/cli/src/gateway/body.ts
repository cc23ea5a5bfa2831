import { createHash } from 'node:crypto';
import { s3 } from './errors.js';
import {
  chunkSignature, sameHex, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER, UNSIGNED_PAYLOAD, type VerifiedRequest,
} from './sigv4.js';

/**
 * A request body as the bytes the client meant: aws-chunked framing removed (each chunk's
 * signature checked for STREAMING-AWS4-HMAC-SHA256-PAYLOAD), or the whole body checked against
 * a signed x-amz-content-sha256. Bytes are yielded as they arrive, so a failed check surfaces as
 * an error at the end of a chunk or of the body: callers write to a temporary name and commit
 * only once the iteration finished.
 */
export async function* payloadOf(source: AsyncIterable<Buffer>, v: VerifiedRequest): AsyncGenerator<Buffer> {
  switch (v.payload) {
    case UNSIGNED_PAYLOAD:
      yield* source;
      return;
    case STREAMING_SIGNED:
    case STREAMING_SIGNED_TRAILER:
      yield* decodeAwsChunked(source, v);
      return;
    case STREAMING_UNSIGNED_TRAILER:
      yield* decodeAwsChunked(source, undefined);
      return;
    default: {
      if (!/^[0-9a-f]{64}$/.test(v.payload)) throw s3.invalidArgument(`unsupported x-amz-content-sha256 "${v.payload}"`);
      const hash = createHash('sha256');
      for await (const piece of source) {
        hash.update(piece);
        yield piece;
      }
      if (hash.digest('hex') !== v.payload) throw s3.badDigest();
    }
  }
}

/** Longest chunk header or trailer line taken; anything longer is not aws-chunked framing. */
const MAX_LINE = 8192;

/**
 * aws-chunked: `hex-size[;chunk-signature=sig]\r\n data \r\n` … `0[;chunk-signature=sig]\r\n`,
 * then trailer lines (x-amz-checksum-*, x-amz-trailer-signature) and an empty line. With `signed`,
 * every chunk's signature, the final empty one included, must match the chain from the seed.
 * Trailing checksums are not verified.
 */
async function* decodeAwsChunked(source: AsyncIterable<Buffer>, signed: VerifiedRequest | undefined): AsyncGenerator<Buffer> {
  let buf: Buffer = Buffer.alloc(0);
  let state = 'header' as 'header' | 'data' | 'crlf' | 'trailer' | 'done';
  let remaining = 0;
  let chunkSig = '';
  let previous = signed?.seedSignature ?? '';
  let hash = createHash('sha256');
  const checkChunk = () => {
    if (!signed) return;
    const expected = chunkSignature(signed, previous, hash.digest('hex'));
    if (!sameHex(expected, chunkSig)) throw s3.signatureMismatch();
    previous = expected;
  };
  for await (const piece of source) {
    buf = buf.length > 0 ? Buffer.concat([buf, piece]) : piece;
    for (;;) {
      if (state === 'header' || state === 'trailer') {
        const eol = buf.indexOf('\r\n');
        if (eol < 0) {
          if (buf.length > MAX_LINE) throw s3.invalidArgument('malformed aws-chunked body: chunk header line too long');
          break;
        }
        const line = buf.subarray(0, eol).toString('latin1');
        buf = buf.subarray(eol + 2);
        if (state === 'trailer') {
          if (line === '') state = 'done';
          continue;
        }
        const [sizeText = '', ...ext] = line.split(';');
        if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw s3.invalidArgument('malformed aws-chunked body: bad chunk size');
        remaining = parseInt(sizeText, 16);
        chunkSig = ext.find((e) => e.startsWith('chunk-signature='))?.slice('chunk-signature='.length) ?? '';
        if (signed && chunkSig === '') throw s3.signatureMismatch();
        hash = createHash('sha256');
        if (remaining === 0) {
          checkChunk();
          state = 'trailer';
        } else {
          state = 'data';
        }
        continue;
      }
      if (state === 'data') {
        if (buf.length === 0) break;
        const take = Math.min(remaining, buf.length);
        const data = buf.subarray(0, take);
        hash.update(data);
        buf = buf.subarray(take);
        remaining -= take;
        if (remaining === 0) {
          checkChunk();
          state = 'crlf';
        }
        yield data;
        continue;
      }
      if (state === 'crlf') {
        if (buf.length < 2) break;
        if (buf[0] !== 0x0d || buf[1] !== 0x0a) throw s3.invalidArgument('malformed aws-chunked body: chunk not followed by CRLF');
        buf = buf.subarray(2);
        state = 'header';
        continue;
      }
      break; // done: anything after the last empty line is ignored
    }
  }
  // Some clients end right after the final chunk's header, without the empty trailer line.
  if (state !== 'done' && !(state === 'trailer' && buf.length === 0)) throw s3.incompleteBody();
}

/** A whole (small) request body as a string, bounded: XML requests are never large. */
export async function readSmallBody(source: AsyncIterable<Buffer>, v: VerifiedRequest, limit = 4 << 20): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const piece of payloadOf(source, v)) {
    size += piece.length;
    if (size > limit) throw s3.invalidRequest(`request body over ${limit} bytes`);
    parts.push(piece);
  }
  return Buffer.concat(parts);
}
