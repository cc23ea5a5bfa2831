import { createCipheriv, timingSafeEqual } from 'node:crypto';

// GCM (NIST SP 800-38D) over a block cipher that Node's OpenSSL has only in ECB and CTR form.
// JuiceFS 1.4's `sm4gcm` is Go's cipher.NewGCM over SM4: 12-byte nonce, 16-byte tag, and that is
// what Node lacks (OpenSSL ships sm4-ecb/sm4-ctr but no sm4-gcm). The keystream comes from
// OpenSSL; only GHASH, the GF(2^128) polynomial hash, runs in JavaScript.
//
// The block cipher is a parameter so that the same code can be checked against Node's own
// aes-*-gcm in the tests; production code uses 'sm4'.

/** A 128-bit block cipher that Node's OpenSSL offers in -ecb and -ctr modes. */
export type GcmBlockCipher = 'sm4' | 'aes-128' | 'aes-256';

const KEY_LENGTH: Record<GcmBlockCipher, number> = { sm4: 16, 'aes-128': 16, 'aes-256': 32 };

export const GCM_TAG_LENGTH = 16;
export const GCM_NONCE_LENGTH = 12;

/** The tag did not match: wrong key, wrong nonce, or damaged data. No plaintext is returned. */
export class GcmAuthError extends Error {
  constructor() {
    super('GCM authentication failed');
    this.name = 'GcmAuthError';
  }
}

// GF(2^128) in GCM's bit order: bit 0 of the field element is the most significant bit of byte 0,
// and multiplying by x is a right shift by one bit. Elements are held as four big-endian 32-bit
// words (w0 = bytes 0..3). BigInt would be far too slow for GHASH over megabytes.

/**
 * `R8[b]`: what multiplying by x^8 feeds back into the top 16 bits when the byte `b` falls off
 * the low end (x^128 = 1 + x + x^2 + x^7, i.e. 0xE1 in the top byte), pre-shifted into word 0.
 */
const R8 = (() => {
  const t = new Int32Array(256);
  for (let b = 0; b < 256; b++) {
    // Multiply (b in byte 15) by x eight times, bit by bit; only the fed-back bits remain.
    let w0 = 0;
    let w3 = b;
    for (let i = 0; i < 8; i++) {
      const carry = w3 & 1;
      w3 >>>= 1;
      w0 = (w0 >>> 1) ^ (carry ? 0xe1000000 : 0);
    }
    t[b] = w0;
  }
  return t;
})();

/**
 * GHASH keyed by H uses Shoup's 8-bit table: `M[b] = b(x)·H` for every byte value (4 KiB), so one
 * block costs 16 table lookups and shifts instead of 128 conditional XORs. The lookups are indexed
 * by data, as in Go's and OpenSSL's portable fallbacks; they are not cache-timing hardened.
 */
function ghashTable(h: Buffer): Int32Array {
  const m = new Int32Array(256 * 4);
  // M[0x80] = H (the top bit of a byte is x^0); each lower bit is one more factor of x.
  let v0 = h.readInt32BE(0);
  let v1 = h.readInt32BE(4);
  let v2 = h.readInt32BE(8);
  let v3 = h.readInt32BE(12);
  for (let bit = 0x80; bit > 0; bit >>= 1) {
    m[bit * 4] = v0;
    m[bit * 4 + 1] = v1;
    m[bit * 4 + 2] = v2;
    m[bit * 4 + 3] = v3;
    const carry = v3 & 1;
    v3 = (v3 >>> 1) | (v2 << 31);
    v2 = (v2 >>> 1) | (v1 << 31);
    v1 = (v1 >>> 1) | (v0 << 31);
    v0 = (v0 >>> 1) ^ (carry ? 0xe1000000 : 0);
  }
  // Multiplication distributes over XOR: M[a ^ b] = M[a] ^ M[b].
  for (let i = 2; i < 256; i <<= 1) {
    for (let j = 1; j < i; j++) {
      for (let k = 0; k < 4; k++) m[(i + j) * 4 + k] = (m[i * 4 + k] ?? 0) ^ (m[j * 4 + k] ?? 0);
    }
  }
  return m;
}

/** One GHASH computation over a key's table (from ghashTable, built once per key). */
class Ghash {
  private y0 = 0;
  private y1 = 0;
  private y2 = 0;
  private y3 = 0;

  constructor(private readonly m: Int32Array) {}

  /** Absorb `data`, zero-padded to a whole number of blocks (GCM pads A and C separately). */
  update(data: Uint8Array): void {
    const whole = data.length & ~15;
    if (whole > 0) this.blocks(new DataView(data.buffer, data.byteOffset, whole), whole);
    if (whole < data.length) {
      const last = new Uint8Array(16);
      last.set(data.subarray(whole));
      this.blocks(new DataView(last.buffer), 16);
    }
  }

  private blocks(dv: DataView, length: number): void {
    const m = this.m;
    let y0 = this.y0;
    let y1 = this.y1;
    let y2 = this.y2;
    let y3 = this.y3;
    for (let p = 0; p < length; p += 16) {
      y0 ^= dv.getInt32(p);
      y1 ^= dv.getInt32(p + 4);
      y2 ^= dv.getInt32(p + 8);
      y3 ^= dv.getInt32(p + 12);
      // Y = Y·H by Horner over the 16 bytes, last byte first: Z = Z·x^8 + M[byte].
      let z0 = 0;
      let z1 = 0;
      let z2 = 0;
      let z3 = 0;
      for (let wi = 3; wi >= 0; wi--) {
        let w = wi === 3 ? y3 : wi === 2 ? y2 : wi === 1 ? y1 : y0;
        for (let k = 0; k < 4; k++) {
          const t = (w & 0xff) << 2;
          w >>>= 8;
          const fall = z3 & 0xff;
          z3 = ((z3 >>> 8) | (z2 << 24)) ^ (m[t + 3] as number);
          z2 = ((z2 >>> 8) | (z1 << 24)) ^ (m[t + 2] as number);
          z1 = ((z1 >>> 8) | (z0 << 24)) ^ (m[t + 1] as number);
          z0 = (z0 >>> 8) ^ (R8[fall] as number) ^ (m[t] as number);
        }
      }
      y0 = z0;
      y1 = z1;
      y2 = z2;
      y3 = z3;
    }
    this.y0 = y0;
    this.y1 = y1;
    this.y2 = y2;
    this.y3 = y3;
  }

  /** The final length block: bit lengths of A and C as two 64-bit big-endian integers. */
  lengths(aadBytes: number, textBytes: number): void {
    const b = Buffer.alloc(16);
    b.writeBigUInt64BE(BigInt(aadBytes) * 8n, 0);
    b.writeBigUInt64BE(BigInt(textBytes) * 8n, 8);
    this.update(b);
  }

  digest(): Buffer {
    const out = Buffer.alloc(16);
    out.writeInt32BE(this.y0, 0);
    out.writeInt32BE(this.y1, 4);
    out.writeInt32BE(this.y2, 8);
    out.writeInt32BE(this.y3, 12);
    return out;
  }
}

/** GCM with one key: seal and open with caller-chosen nonces (unique per key, as GCM requires). */
export class Gcm {
  private readonly key: Buffer;
  private readonly cipher: GcmBlockCipher;
  /** GHASH's table for H = E(K, 0^128). */
  private readonly table: Int32Array;

  constructor(key: Uint8Array, cipher: GcmBlockCipher = 'sm4') {
    if (key.length !== KEY_LENGTH[cipher]) throw new RangeError(`${cipher}-gcm needs a ${KEY_LENGTH[cipher]}-byte key, not ${key.length}`);
    this.key = Buffer.from(key);
    this.cipher = cipher;
    this.table = ghashTable(this.encryptBlock(Buffer.alloc(16)));
  }

  /** `plain` encrypted, followed by the 16-byte tag. */
  seal(nonce: Uint8Array, plain: Uint8Array, aad: Uint8Array = EMPTY): Buffer {
    const j0 = this.counterZero(nonce);
    const out = Buffer.allocUnsafe(plain.length + GCM_TAG_LENGTH);
    this.ctr(j0, plain, out);
    const tag = this.tag(j0, aad, out.subarray(0, plain.length));
    tag.copy(out, plain.length);
    return out;
  }

  /** The plaintext of `sealed` (ciphertext ‖ tag); throws GcmAuthError, before decrypting, if the tag is wrong. */
  open(nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array = EMPTY): Buffer {
    if (sealed.length < GCM_TAG_LENGTH) throw new GcmAuthError();
    const body = sealed.subarray(0, sealed.length - GCM_TAG_LENGTH);
    const j0 = this.counterZero(nonce);
    const want = this.tag(j0, aad, body);
    if (!timingSafeEqual(want, sealed.subarray(body.length))) throw new GcmAuthError();
    const out = Buffer.allocUnsafe(body.length);
    this.ctr(j0, body, out);
    return out;
  }

  private encryptBlock(block: Buffer): Buffer {
    const c = createCipheriv(`${this.cipher}-ecb`, this.key, null);
    c.setAutoPadding(false);
    return Buffer.concat([c.update(block), c.final()]);
  }

  /** J0: nonce ‖ 0^31 ‖ 1 for the usual 96-bit nonce, otherwise GHASH(nonce ‖ pad ‖ len). */
  private counterZero(nonce: Uint8Array): Buffer {
    if (nonce.length === GCM_NONCE_LENGTH) {
      const j0 = Buffer.alloc(16);
      j0.set(nonce);
      j0[15] = 1;
      return j0;
    }
    if (nonce.length === 0) throw new RangeError('GCM needs a non-empty nonce');
    const g = new Ghash(this.table);
    g.update(nonce);
    g.lengths(0, nonce.length);
    return g.digest();
  }

  private tag(j0: Buffer, aad: Uint8Array, cipherText: Uint8Array): Buffer {
    const g = new Ghash(this.table);
    g.update(aad);
    g.update(cipherText);
    g.lengths(aad.length, cipherText.length);
    const s = g.digest();
    const e = this.encryptBlock(j0);
    for (let i = 0; i < 16; i++) s[i] = (s[i] ?? 0) ^ (e[i] ?? 0);
    return s;
  }

  /** GCTR from inc32(J0): XOR `input` with the keystream into `out`. */
  private ctr(j0: Buffer, input: Uint8Array, out: Buffer): void {
    gcmCtr(this.key, this.cipher, inc32(j0), input, out);
  }
}

const EMPTY = new Uint8Array(0);

/** The counter block with its low 32 bits incremented modulo 2^32 (SP 800-38D inc32). */
export function inc32(block: Uint8Array): Buffer {
  const b = Buffer.from(block);
  b.writeUInt32BE((b.readUInt32BE(12) + 1) >>> 0, 12);
  return b;
}

/**
 * CTR keystream with GCM's counter: OpenSSL's -ctr mode carries into all 128 bits, GCM increments
 * only the low 32 and wraps. So the input is cut where the low word would wrap, and each piece
 * runs as its own OpenSSL CTR stream. (With a 96-bit nonce the counter starts at 2, so a wrap needs
 * 64 GiB of input; other nonce lengths give J0 an arbitrary low word, and then it matters.)
 */
export function gcmCtr(key: Buffer, cipher: GcmBlockCipher, first: Buffer, input: Uint8Array, out: Buffer): void {
  let counter = Buffer.from(first);
  let done = 0;
  while (done < input.length) {
    const blocksToWrap = 2 ** 32 - counter.readUInt32BE(12);
    const n = Math.min(input.length - done, blocksToWrap * 16);
    const c = createCipheriv(`${cipher}-ctr`, key, counter);
    const piece = c.update(input.subarray(done, done + n));
    piece.copy(out, done);
    c.final();
    done += n;
    counter = Buffer.from(counter);
    counter.writeUInt32BE(0, 12);
  }
}

/** SM4-GCM seal with a 16-byte key: ciphertext ‖ 16-byte tag, as Go's cipher.NewGCM(sm4) produces. */
export function sm4GcmSeal(key: Uint8Array, nonce: Uint8Array, plain: Uint8Array, aad?: Uint8Array): Buffer {
  return new Gcm(key, 'sm4').seal(nonce, plain, aad);
}

/** SM4-GCM open; throws GcmAuthError when the tag does not match. */
export function sm4GcmOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Buffer {
  return new Gcm(key, 'sm4').open(nonce, sealed, aad);
}
