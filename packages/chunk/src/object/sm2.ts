import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sm3Kdf } from './sm3-kdf.js';

// SM2 public-key encryption (GB/T 32918.4) on the sm2p256v1 curve, for wrapping the per-object
// data key when the volume's EncryptKey is an SM2 key (JuiceFS 1.4 with gmsm). Node can read SM2
// PKCS#8 keys but its publicEncrypt/privateDecrypt refuse them, so the scheme is written out here.
//
// Ciphertexts use the ASN.1 form of GM/T 0009 — SEQUENCE { INTEGER x1, INTEGER y1,
// OCTET STRING C3 (SM3 hash), OCTET STRING C2 } — which is what gmsm's EncryptASN1 writes and
// OpenSSL's SM2 pkeyutl reads and writes. Decryption also takes the raw C1 ‖ C3 ‖ C2 form
// (uncompressed C1), which gmsm's Decrypt accepts as well.
//
// The arithmetic is BigInt and not constant-time: it runs once or twice per object (not per
// byte), where timing is dominated by I/O, but it is not hardened against a local timing attacker.

const P = 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn;
const A = P - 3n;
const B = 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n;
const N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const GX = 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n;
const GY = 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n;

/** A point in affine coordinates; the point at infinity never escapes this module. */
export interface Sm2Point {
  x: bigint;
  y: bigint;
}

export const SM2_G: Sm2Point = { x: GX, y: GY };
export const SM2_N = N;

const mod = (a: bigint, m = P): bigint => {
  const r = a % m;
  return r < 0n ? r + m : r;
};

function inverse(a: bigint, m = P): bigint {
  // Extended Euclid; a is never 0 here.
  let [r0, r1] = [mod(a, m), m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0, m);
}

/** Jacobian coordinates (x = X/Z², y = Y/Z³); Z = 0 is the point at infinity. */
type Jacobian = [bigint, bigint, bigint];

function double([x, y, z]: Jacobian): Jacobian {
  if (z === 0n || y === 0n) return [1n, 1n, 0n];
  // dbl-2001-b, using a = -3.
  const delta = mod(z * z);
  const gamma = mod(y * y);
  const beta = mod(x * gamma);
  const alpha = mod(3n * (x - delta) * (x + delta));
  const x3 = mod(alpha * alpha - 8n * beta);
  const z3 = mod((y + z) * (y + z) - gamma - delta);
  const y3 = mod(alpha * (4n * beta - x3) - 8n * gamma * gamma);
  return [x3, y3, z3];
}

/** Jacobian + affine (madd-2007-bl). */
function addAffine(p: Jacobian, q: Sm2Point): Jacobian {
  const [x1, y1, z1] = p;
  if (z1 === 0n) return [q.x, q.y, 1n];
  const z1z1 = mod(z1 * z1);
  const u2 = mod(q.x * z1z1);
  const s2 = mod(q.y * z1 * z1z1);
  const h = mod(u2 - x1);
  const r = mod(2n * (s2 - y1));
  if (h === 0n) return r === 0n ? double(p) : [1n, 1n, 0n];
  const hh = mod(h * h);
  const i = 4n * hh;
  const j = mod(h * i);
  const v = mod(x1 * i);
  const x3 = mod(r * r - j - 2n * v);
  const y3 = mod(r * (v - x3) - 2n * y1 * j);
  const z3 = mod((z1 + h) * (z1 + h) - z1z1 - hh);
  return [x3, y3, z3];
}

/** k·Q, or undefined for the point at infinity. */
export function sm2Multiply(k: bigint, q: Sm2Point): Sm2Point | undefined {
  let r: Jacobian = [1n, 1n, 0n];
  for (let i = BigInt(k.toString(2).length - 1); i >= 0n; i--) {
    r = double(r);
    if ((k >> i) & 1n) r = addAffine(r, q);
  }
  if (r[2] === 0n) return undefined;
  const zi = inverse(r[2]);
  const zi2 = mod(zi * zi);
  return { x: mod(r[0] * zi2), y: mod(r[1] * zi2 * zi) };
}

export function sm2OnCurve(q: Sm2Point): boolean {
  return q.x >= 0n && q.x < P && q.y >= 0n && q.y < P && mod(q.y * q.y - (q.x * q.x * q.x + A * q.x + B)) === 0n;
}

const bytes32 = (v: bigint): Buffer => Buffer.from(v.toString(16).padStart(64, '0'), 'hex');
const toBig = (b: Uint8Array): bigint => (b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b).toString('hex')}`));

// --- DER, just enough for PKCS#8 SM2 keys and SM2 ciphertexts ---

interface Tlv {
  tag: number;
  body: Buffer;
  /** Offset just past this element. */
  next: number;
}

function readTlv(buf: Buffer, at: number): Tlv {
  const tag = buf[at];
  let len = buf[at + 1];
  if (tag === undefined || len === undefined) throw new Error('DER: truncated');
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || start + n > buf.length) throw new Error('DER: bad length');
    len = buf.subarray(start, start + n).reduce((acc, b) => acc * 256 + b, 0);
    start += n;
  }
  if (start + len > buf.length) throw new Error('DER: truncated');
  return { tag, body: buf.subarray(start, start + len), next: start + len };
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  return Buffer.from([0x82, n >> 8, n & 0xff]);
}

const der = (tag: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);

function derInteger(v: bigint): Buffer {
  const h = v.toString(16);
  let b = Buffer.from(h.length % 2 ? `0${h}` : h, 'hex');
  if ((b[0] ?? 0) & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return der(0x02, b);
}

// OID 1.2.156.10197.1.301 (sm2p256v1), as its DER content bytes.
const SM2_CURVE_OID = Buffer.from('2a811ccf5501822d', 'hex');

/** An SM2 private key and its public point. */
export interface Sm2PrivateKey {
  d: bigint;
  pub: Sm2Point;
}

/**
 * The SM2 key in an unencrypted PKCS#8 DER (as Node exports any private key), or undefined when
 * the key is not on sm2p256v1. Throws on an SM2 key whose fields are malformed or inconsistent.
 */
export function sm2KeyFromPkcs8(pkcs8: Buffer): Sm2PrivateKey | undefined {
  const top = readTlv(pkcs8, 0);
  const version = readTlv(top.body, 0);
  const alg = readTlv(top.body, version.next);
  if (alg.tag !== 0x30 || !alg.body.includes(SM2_CURVE_OID)) return undefined;
  const wrapped = readTlv(top.body, alg.next);
  if (wrapped.tag !== 0x04) throw new Error('SM2 key: no private key octets');
  // ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING, [0] params OPTIONAL, [1] publicKey OPTIONAL }
  const ec = readTlv(wrapped.body, 0);
  const ecVersion = readTlv(ec.body, 0);
  const secret = readTlv(ec.body, ecVersion.next);
  if (secret.tag !== 0x04) throw new Error('SM2 key: malformed ECPrivateKey');
  const d = toBig(secret.body);
  if (d < 1n || d >= N - 1n) throw new Error('SM2 key: private scalar out of range');
  const pub = sm2Multiply(d, SM2_G);
  if (!pub) throw new Error('SM2 key: private scalar out of range');
  for (let at = secret.next; at < ec.body.length; ) {
    const field = readTlv(ec.body, at);
    at = field.next;
    if (field.tag !== 0xa1) continue;
    const bits = readTlv(field.body, 0).body; // BIT STRING: 00 04 X Y
    const given = { x: toBig(bits.subarray(2, 34)), y: toBig(bits.subarray(34, 66)) };
    if (bits[1] !== 0x04 || given.x !== pub.x || given.y !== pub.y) throw new Error('SM2 key: the public key does not match the private key');
  }
  return { d, pub };
}

/** A random scalar in [1, n-1]. */
function randomScalar(): bigint {
  for (;;) {
    const k = toBig(randomBytes(32));
    if (k >= 1n && k < N) return k;
  }
}

const sm3 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sm3');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** SM2-encrypt `msg` to `pub`: the ASN.1 (GM/T 0009) ciphertext. */
export function sm2Encrypt(pub: Sm2Point, msg: Uint8Array): Buffer {
  if (msg.length === 0) throw new RangeError('SM2 cannot encrypt an empty message');
  for (;;) {
    const k = randomScalar();
    const c1 = sm2Multiply(k, SM2_G);
    const s = sm2Multiply(k, pub);
    if (!c1 || !s) continue;
    const x2 = bytes32(s.x);
    const y2 = bytes32(s.y);
    const t = sm3Kdf(Buffer.concat([x2, y2]), msg.length);
    if (t.every((b) => b === 0)) continue; // the standard says: pick another k
    const c2 = Buffer.from(msg.map((b, i) => b ^ (t[i] ?? 0)));
    const c3 = sm3(x2, msg, y2);
    return der(0x30, Buffer.concat([derInteger(c1.x), derInteger(c1.y), der(0x04, c3), der(0x04, c2)]));
  }
}

/** The plaintext of an SM2 ciphertext (ASN.1, or raw 04 ‖ x1 ‖ y1 ‖ C3 ‖ C2); throws if it does not verify. */
export function sm2Decrypt(key: Sm2PrivateKey, ct: Buffer): Buffer {
  let c1: Sm2Point;
  let c3: Buffer;
  let c2: Buffer;
  if (ct[0] === 0x30) {
    const seq = readTlv(ct, 0);
    if (seq.next !== ct.length) throw new Error('SM2: trailing bytes after the ciphertext');
    const x = readTlv(seq.body, 0);
    const y = readTlv(seq.body, x.next);
    const h = readTlv(seq.body, y.next);
    const m = readTlv(seq.body, h.next);
    if (x.tag !== 0x02 || y.tag !== 0x02 || h.tag !== 0x04 || m.tag !== 0x04 || m.next !== seq.body.length) throw new Error('SM2: malformed ciphertext');
    c1 = { x: toBig(x.body), y: toBig(y.body) };
    c3 = h.body;
    c2 = m.body;
  } else if (ct[0] === 0x04 && ct.length > 1 + 64 + 32) {
    c1 = { x: toBig(ct.subarray(1, 33)), y: toBig(ct.subarray(33, 65)) };
    c3 = ct.subarray(65, 97);
    c2 = ct.subarray(97);
  } else {
    throw new Error('SM2: unknown ciphertext form');
  }
  if (c3.length !== 32 || c2.length === 0 || !sm2OnCurve(c1)) throw new Error('SM2: malformed ciphertext');
  const s = sm2Multiply(key.d, c1);
  if (!s) throw new Error('SM2: malformed ciphertext');
  const x2 = bytes32(s.x);
  const y2 = bytes32(s.y);
  const t = sm3Kdf(Buffer.concat([x2, y2]), c2.length);
  if (t.every((b) => b === 0)) throw new Error('SM2: decryption failed');
  const msg = Buffer.from(c2.map((b, i) => b ^ (t[i] ?? 0)));
  if (!timingSafeEqual(sm3(x2, msg, y2), c3)) throw new Error('SM2: decryption failed');
  return msg;
}
