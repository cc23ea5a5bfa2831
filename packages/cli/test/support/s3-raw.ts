import { createHash, createHmac } from 'node:crypto';

// A deliberately plain SigV4 signer for raw requests in the gateway tests, written from AWS's
// documentation rather than shared with the server, so the two check each other.

export interface RawResponse {
  status: number;
  headers: Headers;
  body: Buffer;
  text: string;
}

export interface RawRequest {
  method: string;
  /** Path-style: /bucket/key (unencoded; encoded here). */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Sign with this secret instead of the right one. */
  secret?: string;
  /** Send without any signature. */
  anonymous?: boolean;
}

const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
const sha = (d: Buffer | string) => createHash('sha256').update(d).digest('hex');
const hmac = (k: Buffer | string, d: string) => createHmac('sha256', k).update(d).digest();

export function amzDate(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function signingKey(secret: string, day: string): Buffer {
  return hmac(hmac(hmac(hmac('AWS4' + secret, day), 'us-east-1'), 's3'), 'aws4_request');
}

export function encodePath(path: string): string {
  return path.split('/').map(enc).join('/');
}

function canonicalQuery(q: Record<string, string>): string {
  return Object.entries(q).map(([k, v]) => [enc(k), enc(v)]).sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join('&');
}

export class RawS3 {
  constructor(
    readonly endpoint: string,
    readonly accessKey: string,
    readonly secretKey: string,
  ) {}

  private get host(): string {
    return new URL(this.endpoint).host;
  }

  async send(r: RawRequest): Promise<RawResponse> {
    const body = r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body);
    const query = r.query ?? {};
    const date = amzDate();
    const headers: Record<string, string> = { ...(r.headers ?? {}) };
    if (!r.anonymous) {
      headers['x-amz-date'] = date;
      headers['x-amz-content-sha256'] = sha(body);
      const signed = { host: this.host, ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v.trim()])) };
      const names = Object.keys(signed).sort();
      const canonical = [
        r.method, encodePath(r.path), canonicalQuery(query),
        names.map((n) => `${n}:${signed[n as keyof typeof signed]}\n`).join(''), names.join(';'), sha(body),
      ].join('\n');
      const scope = `${date.slice(0, 8)}/us-east-1/s3/aws4_request`;
      const toSign = ['AWS4-HMAC-SHA256', date, scope, sha(canonical)].join('\n');
      const sig = hmac(signingKey(r.secret ?? this.secretKey, date.slice(0, 8)), toSign).toString('hex');
      headers['authorization'] = `AWS4-HMAC-SHA256 Credential=${this.accessKey}/${scope}, SignedHeaders=${names.join(';')}, Signature=${sig}`;
    }
    const qs = canonicalQuery(query);
    const res = await fetch(`${this.endpoint}${encodePath(r.path)}${qs ? '?' + qs : ''}`, {
      method: r.method,
      headers,
      ...(body.length > 0 ? { body } : {}),
    });
    const buf = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, body: buf, text: buf.toString() };
  }

  /** A presigned GET URL valid for `expires` seconds from `at`. */
  presign(path: string, expires: number, at = new Date()): string {
    const date = amzDate(at);
    const scope = `${date.slice(0, 8)}/us-east-1/s3/aws4_request`;
    const query: Record<string, string> = {
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256', 'X-Amz-Credential': `${this.accessKey}/${scope}`, 'X-Amz-Date': date,
      'X-Amz-Expires': String(expires), 'X-Amz-SignedHeaders': 'host',
    };
    const canonical = ['GET', encodePath(path), canonicalQuery(query), `host:${this.host}\n`, 'host', 'UNSIGNED-PAYLOAD'].join('\n');
    const toSign = ['AWS4-HMAC-SHA256', date, scope, sha(canonical)].join('\n');
    const sig = hmac(signingKey(this.secretKey, date.slice(0, 8)), toSign).toString('hex');
    return `${this.endpoint}${encodePath(path)}?${canonicalQuery({ ...query, 'X-Amz-Signature': sig })}`;
  }
}

/** The text of every `<name>…</name>` in an XML body, in order. */
export function xmlAll(text: string, name: string): string[] {
  return [...text.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g'))].map((m) => m[1]!);
}

/**
 * PUT `data` as STREAMING-AWS4-HMAC-SHA256-PAYLOAD (aws-chunked, each chunk signed, chained from
 * the seed signature), as the AWS SDKs stream uploads; `tamperChunk` corrupts that chunk's bytes.
 */
export async function putChunked(s: RawS3, path: string, data: Buffer, chunkSize: number, tamperChunk = -1): Promise<RawResponse> {
  const date = amzDate();
  const day = date.slice(0, 8);
  const scope = `${day}/us-east-1/s3/aws4_request`;
  const host = new URL(s.endpoint).host;
  const headers: Record<string, string> = {
    'content-encoding': 'aws-chunked', 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'x-amz-date': date,
    'x-amz-decoded-content-length': String(data.length),
  };
  const signed: Record<string, string> = { host, ...headers };
  const names = Object.keys(signed).sort();
  const canonical = ['PUT', encodePath(path), '', names.map((n) => `${n}:${signed[n]}\n`).join(''), names.join(';'), 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'].join('\n');
  const key = signingKey(s.secretKey, day);
  let previous = hmac(key, ['AWS4-HMAC-SHA256', date, scope, sha(canonical)].join('\n')).toString('hex');
  headers['authorization'] = `AWS4-HMAC-SHA256 Credential=${s.accessKey}/${scope}, SignedHeaders=${names.join(';')}, Signature=${previous}`;
  const parts: Buffer[] = [];
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; at += chunkSize) chunks.push(data.subarray(at, at + chunkSize));
  chunks.push(Buffer.alloc(0));
  chunks.forEach((chunk, i) => {
    const sig = hmac(key, ['AWS4-HMAC-SHA256-PAYLOAD', date, scope, previous, sha(''), sha(chunk)].join('\n')).toString('hex');
    previous = sig;
    const sent = i === tamperChunk ? Buffer.from(chunk.map((b) => b ^ 1)) : chunk;
    parts.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${sig}\r\n`), sent, Buffer.from('\r\n'));
  });
  const res = await fetch(`${s.endpoint}${encodePath(path)}`, { method: 'PUT', headers, body: Buffer.concat(parts) });
  const buf = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body: buf, text: buf.toString() };
}
