import { execFileSync } from 'node:child_process';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { sm2Decrypt, sm2Multiply, SM2_G } from '../src/object/sm2.js';
import { Gcm, GcmAuthError, gcmCtr, inc32, sm4GcmOpen, sm4GcmSeal, type GcmBlockCipher } from '../src/object/sm4-gcm.js';
import { sm3Kdf } from '../src/object/sm3-kdf.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('SM4 block cipher (the OpenSSL primitive under our GCM)', () => {
  test('GB/T 32907-2016 example 1: key = plaintext = 0123…3210', () => {
    const c = createCipheriv('sm4-ecb', hex('0123456789abcdeffedcba9876543210'), null).setAutoPadding(false);
    expect(Buffer.concat([c.update(hex('0123456789abcdeffedcba9876543210')), c.final()]).toString('hex')).toBe('681edf34d206965e86b3e94f536e4246');
  });
});

describe('SM4-GCM', () => {
  // RFC 8998 Appendix A.1.
  const key = hex('0123456789ABCDEFFEDCBA9876543210');
  const iv = hex('00001234567800000000ABCD');
  const aad = hex('FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2');
  const plain = hex(`AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB CCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD
                     EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFF EEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA`);
  const cipher = hex(`17F399F08C67D5EE19D0DC9969C4BB7D 5FD46FD3756489069157B282BB200735
                      D82710CA5C22F0CCFA7CBF93D496AC15 A56834CBCF98C397B4024A2691233B8D`);
  const tag = hex('83DE3541E4C2B58177E065A9BF7B62EC');

  test('RFC 8998 A.1: seal gives the published ciphertext and tag, open gives the plaintext back', () => {
    expect(sm4GcmSeal(key, iv, plain, aad).toString('hex')).toBe(Buffer.concat([cipher, tag]).toString('hex'));
    expect(sm4GcmOpen(key, iv, Buffer.concat([cipher, tag]), aad).equals(plain)).toBe(true);
  });

  test('an independent implementation agrees on an 11-byte message without AAD (zero key and nonce)', () => {
    // Test vector of a Rust SM4-GCM crate: "hello world" → 11 bytes of ciphertext, then the tag.
    const sealed = sm4GcmSeal(Buffer.alloc(16), Buffer.alloc(12), Buffer.from('hello world'));
    expect(sealed.toString('hex')).toBe('1587c6137e306fed6a6a5f49539b6dd6fe2b7872c3279636db07c2');
  });

  test('an empty plaintext is just the tag, and opens to nothing', () => {
    const sealed = sm4GcmSeal(key, iv, Buffer.alloc(0));
    expect(sealed.length).toBe(16);
    expect(sm4GcmOpen(key, iv, sealed).length).toBe(0);
    // With no text and no AAD the tag is E(K, J0) XOR GHASH(len block of zeros) = E(K, J0).
    const j0 = Buffer.concat([iv, hex('00000001')]);
    const e = createCipheriv('sm4-ecb', key, null).setAutoPadding(false);
    expect(sealed.equals(Buffer.concat([e.update(j0), e.final()]))).toBe(true);
  });

  test('any damage — tag, ciphertext, AAD, nonce, key, truncation — fails with GcmAuthError', () => {
    const sealed = sm4GcmSeal(key, iv, plain, aad);
    const flip = (b: Buffer, i: number) => {
      const c = Buffer.from(b);
      c[i] = (c[i] ?? 0) ^ 0x01;
      return c;
    };
    expect(() => sm4GcmOpen(key, iv, flip(sealed, sealed.length - 1), aad)).toThrow(GcmAuthError);
    expect(() => sm4GcmOpen(key, iv, flip(sealed, 0), aad)).toThrow(GcmAuthError);
    expect(() => sm4GcmOpen(key, iv, sealed, flip(aad, 3))).toThrow(GcmAuthError);
    expect(() => sm4GcmOpen(key, iv, sealed)).toThrow(GcmAuthError);
    expect(() => sm4GcmOpen(key, flip(iv, 11), sealed, aad)).toThrow(GcmAuthError);
    expect(() => sm4GcmOpen(flip(key, 0), iv, sealed, aad)).toThrow(GcmAuthError);
    expect(() => sm4GcmOpen(key, iv, sealed.subarray(0, 15), aad)).toThrow(GcmAuthError);
    expect(() => sm4GcmOpen(key, iv, sealed.subarray(1), aad)).toThrow(GcmAuthError);
  });

  test('keys of the wrong size are refused', () => {
    expect(() => new Gcm(Buffer.alloc(32), 'sm4')).toThrow(RangeError);
  });

  test('round trips at every length around the block size, with and without AAD', () => {
    const k = randomBytes(16);
    for (let n = 0; n <= 50; n++) {
      const p = randomBytes(n);
      const nonce = randomBytes(12);
      const a = n % 2 ? randomBytes(n % 7) : undefined;
      expect(sm4GcmOpen(k, nonce, sm4GcmSeal(k, nonce, p, a), a).equals(p)).toBe(true);
    }
  });
});

describe('the GCM construction, checked against OpenSSL AES-GCM', () => {
  // Same GHASH/counter code over AES: any mismatch with Node's aes-*-gcm is a bug in our GCM.
  const nodeSeal = (c: GcmBlockCipher, key: Buffer, nonce: Buffer, p: Buffer, a: Buffer) => {
    const e = createCipheriv(`${c}-gcm` as 'aes-128-gcm', key, nonce);
    e.setAAD(a);
    return Buffer.concat([e.update(p), e.final(), e.getAuthTag()]);
  };

  test.each(['aes-128', 'aes-256'] as const)('%s: random lengths, AAD and nonce lengths (1–40 bytes)', (c) => {
    const key = randomBytes(c === 'aes-128' ? 16 : 32);
    const g = new Gcm(key, c);
    const lengths = [0, 1, 15, 16, 17, 31, 32, 33, 100, 255, 4096, 65536 + 7];
    for (const n of lengths) {
      for (const nonceLen of [12, 1, 8, 16, 40]) {
        const p = randomBytes(n);
        const nonce = randomBytes(nonceLen);
        const a = randomBytes(n % 37);
        const ours = g.seal(nonce, p, a);
        expect(ours.toString('hex')).toBe(nodeSeal(c, key, nonce, p, a).toString('hex'));
        const d = createDecipheriv(`${c}-gcm` as 'aes-128-gcm', key, nonce);
        d.setAAD(a);
        d.setAuthTag(ours.subarray(ours.length - 16));
        expect(Buffer.concat([d.update(ours.subarray(0, n)), d.final()]).equals(p)).toBe(true);
      }
    }
  });

  test('inc32 wraps the low 32 bits only; the keystream follows it across the wrap', () => {
    expect(inc32(hex('0102030405060708090a0b0cffffffff')).toString('hex')).toBe('0102030405060708090a0b0c00000000');
    expect(inc32(hex('000000000000000000000000000000fe')).toString('hex')).toBe('000000000000000000000000000000ff');
    const key = randomBytes(16);
    const first = hex('0102030405060708090a0b0cfffffffe');
    const input = randomBytes(16 * 4 + 5);
    const out = Buffer.alloc(input.length);
    gcmCtr(key, 'sm4', first, input, out);
    // The expected keystream, block by block from ECB: counters …fffe, …ffff, …0000, …0001, …0002.
    const ecb = createCipheriv('sm4-ecb', key, null).setAutoPadding(false);
    let ctr: Buffer = first;
    const ks: Buffer[] = [];
    for (let i = 0; i < 5; i++) {
      ks.push(ecb.update(ctr));
      ctr = inc32(ctr);
    }
    const stream = Buffer.concat(ks);
    const want = Buffer.from(input.map((b, i) => b ^ (stream[i] ?? 0)));
    expect(out.equals(want)).toBe(true);
  });
});

describe('SM3 KDF (GM/T 0003.4)', () => {
  test('matches OpenSSL X9.63 KDF with SM3 and no shared info, which is the same construction', () => {
    const z = Buffer.from('faa27c8f-edab-4791-a4e0-1620b732b343');
    for (const len of [16, 32, 33, 70]) {
      const out = execFileSync('openssl', ['kdf', '-keylen', String(len), '-kdfopt', 'digest:SM3', '-kdfopt', `hexkey:${z.toString('hex')}`, 'X963KDF']).toString();
      expect(sm3Kdf(z, len).toString('hex')).toBe(out.trim().replace(/:/g, '').toLowerCase());
    }
  });

  test('a longer output extends a shorter one', () => {
    expect(sm3Kdf(Buffer.from('abc'), 64).subarray(0, 16).equals(sm3Kdf(Buffer.from('abc'), 16))).toBe(true);
  });
});

describe('bytes from Go (test/go-vectors/main.go: crypto/cipher.NewGCM over tjfoc/gmsm SM4, gmsm SM2)', () => {
  const nonce = hex('000102030405060708090a0b');

  test('a 1000-byte block sealed by Go is the block we seal, byte for byte', () => {
    const key = hex('00112233445566778899aabbccddeeff');
    const plain = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 31 + 7) & 0xff));
    const ours = sm4GcmSeal(key, nonce, plain);
    expect(ours.length).toBe(1016);
    expect(ours.subarray(0, 16).toString('hex')).toBe('cbe5adcf1635309bd9522eedad24d4c9');
    expect(ours.subarray(1000).toString('hex')).toBe('f05c1454228bf23bf0555c6bb7097371'); // Go's tag
    expect(createHash('sha256').update(ours).digest('hex')).toBe('61f601b0a15e952c8b44c2dc115812546356faf4da8e1eb1667982ae69a87c87');
  });

  test('a format secret sealed by Go the way JuiceFS 1.4 seals sm4gcm secrets (key = SM3-KDF(UUID, 16)) opens', () => {
    const raw = Buffer.from('AAECAwQFBgcICQoLh6h3Q/+IFFmtUMDUa9gbV2zqepu3WUmbKg==', 'base64');
    const key = sm3Kdf(Buffer.from('faa27c8f-edab-4791-a4e0-1620b732b343'), 16);
    expect(sm4GcmOpen(key, raw.subarray(0, 12), raw.subarray(12)).toString()).toBe('foobarbaz');
  });

  test('a data key SM2-encrypted by gmsm (raw 04 ‖ C1 ‖ C3 ‖ C2 form) decrypts', () => {
    const d = BigInt('0xb3224809d8d690fc970b364ea2b2af1720bb92630a7774b13259a923269e9d05');
    const pub = sm2Multiply(d, SM2_G);
    if (!pub) throw new Error('bad scalar');
    const ct = hex(`04deb5ed67200f7efd1fac9b894ba75c9789ad2550a30c694f9f073324456ca723740aafa0f417c845b1bd9d7e6bc0dbd9fa7d253c0dd2ace
      450d0b1e55d8f7dfaf703c3cfe576e15e60b9d6d05c1605e9bb66150b194892323a23e31cfd43604b2ee9cab5d24304553223982ead1acbed`);
    expect(sm2Decrypt({ d, pub }, ct).toString('hex')).toBe('00112233445566778899aabbccddeeff');
  });
});
