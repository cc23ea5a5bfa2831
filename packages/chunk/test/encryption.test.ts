import { execFileSync } from 'node:child_process';
import { createDecipheriv, generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createStorage, ObjectCipher, sm4GcmOpen, withEncryption } from '../src/object/index.js';
import { tempDir } from './services.js';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pkcs1 = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/** The data key of a sealed object with a 2048-bit RSA wrap, unwrapped by openssl as the spec says (OAEP, SHA-256, label "keys"). */
function opensslUnwrap(dir: string, sealed: Buffer): Buffer {
  writeFileSync(path.join(dir, 'key.pem'), pkcs8);
  writeFileSync(path.join(dir, 'wrapped'), sealed.subarray(3, 259));
  return execFileSync('openssl', [
    'pkeyutl', '-decrypt', '-inkey', path.join(dir, 'key.pem'), '-in', path.join(dir, 'wrapped'),
    '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha256', '-pkeyopt', `rsa_oaep_label:${Buffer.from('keys').toString('hex')}`,
  ]);
}

describe('object encryption (FORMAT.md 7.3)', () => {
  test('layout: u16 key length, u8 nonce length, wrapped key, nonce, ciphertext and tag', () => {
    const plain = Buffer.from('hello, sealed world');
    const sealed = new ObjectCipher({ privateKeyPem: pkcs1 }).seal(plain);
    expect(sealed.readUInt16BE(0)).toBe(256); // 2048-bit modulus
    expect(sealed[2]).toBe(12);
    expect(sealed.length).toBe(3 + 256 + 12 + plain.length + 16);
  });

  test('the data key is wrapped as the spec says: openssl unwraps it (OAEP, SHA-256, label "keys") and it opens the body', () => {
    const t = tempDir('enc');
    try {
      const plain = Buffer.from('block bytes '.repeat(100));
      const sealed = new ObjectCipher({ privateKeyPem: pkcs8, algo: 'aes256gcm-rsa' }).seal(plain);
      const key = opensslUnwrap(t.dir, sealed);
      expect(key.length).toBe(32);
      const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(259, 271));
      d.setAuthTag(sealed.subarray(sealed.length - 16));
      expect(Buffer.concat([d.update(sealed.subarray(271, sealed.length - 16)), d.final()]).equals(plain)).toBe(true);
    } finally {
      t.remove();
    }
  });

  test('sm4gcm: a 16-byte data key under the same RSA-OAEP wrap (openssl unwraps it), then SM4-GCM over the block', () => {
    const t = tempDir('encsm4');
    try {
      const plain = Buffer.from('block bytes '.repeat(100));
      const sealed = new ObjectCipher({ privateKeyPem: pkcs8, algo: 'sm4gcm' }).seal(plain);
      expect(sealed.readUInt16BE(0)).toBe(256);
      expect(sealed[2]).toBe(12);
      expect(sealed.length).toBe(3 + 256 + 12 + plain.length + 16);
      const key = opensslUnwrap(t.dir, sealed);
      expect(key.length).toBe(16);
      expect(sm4GcmOpen(key, sealed.subarray(259, 271), sealed.subarray(271)).equals(plain)).toBe(true);
    } finally {
      t.remove();
    }
  });

  test('an object sealed with one algorithm does not open as another', async () => {
    const raw = createStorage('mem', 'mix');
    await withEncryption(raw, { privateKeyPem: pkcs1, algo: 'sm4gcm' }).put('k', Buffer.from('secret'));
    await expect(withEncryption(raw, { privateKeyPem: pkcs1, algo: 'aes256gcm-rsa' }).get('k')).rejects.toMatchObject({ code: 'EIO' });
    await withEncryption(raw, { privateKeyPem: pkcs1, algo: 'aes256gcm-rsa' }).put('k', Buffer.from('secret'));
    await expect(withEncryption(raw, { privateKeyPem: pkcs1, algo: 'sm4gcm' }).get('k')).rejects.toMatchObject({ code: 'EIO' });
  });

  test('over a local directory it names no file for an object: the files hold sealed bytes, not the block', async () => {
    const t = tempDir('encl');
    try {
      const file = createStorage('file', `${t.dir}/bucket`);
      const s = withEncryption(file, { privateKeyPem: pkcs1 });
      await s.put('k', Buffer.from('0123456789'));
      expect(file.localFile?.('k')).toBeDefined();
      expect(s.localFile?.('k')).toBeUndefined();
    } finally {
      t.remove();
    }
  });

  test.each(['aes256gcm-rsa', 'chacha20-rsa', 'sm4gcm', ''])('a storage round trip with %s; ranges are cut from the opened object', async (algo) => {
    const raw = createStorage('mem', 'enc');
    const s = withEncryption(raw, { privateKeyPem: pkcs1, algo });
    await s.put('k', Buffer.from('0123456789'));
    expect((await raw.get('k')).includes(Buffer.from('0123456789'))).toBe(false);
    expect((await s.get('k')).toString()).toBe('0123456789');
    expect((await s.get('k', 3, 4)).toString()).toBe('3456');
    expect((await s.get('k', 8)).toString()).toBe('89');
  });

  test('a passphrase-protected key loads with its passphrase', async () => {
    const locked = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString();
    const s = withEncryption(createStorage('mem', 'pw'), { privateKeyPem: locked, passphrase: 'pw' });
    await s.put('k', Buffer.from('v'));
    expect((await s.get('k')).toString()).toBe('v');
    expect(() => new ObjectCipher({ privateKeyPem: locked, passphrase: 'wrong' })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  test.each(['aes256gcm-rsa', 'sm4gcm'])('%s: another key or a damaged object fail, never return bytes', async (algo) => {
    const raw = createStorage('mem', 'bad');
    await withEncryption(raw, { privateKeyPem: pkcs1, algo }).put('k', Buffer.from('secret'));
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    await expect(withEncryption(raw, { privateKeyPem: other, algo }).get('k')).rejects.toMatchObject({ code: 'EIO' });
    for (const at of [1, 20]) {
      const damaged = await raw.get('k');
      damaged[damaged.length - at] = (damaged[damaged.length - at] ?? 0) ^ 1;
      await raw.put('k', damaged);
      await expect(withEncryption(raw, { privateKeyPem: pkcs1, algo }).get('k')).rejects.toMatchObject({ code: 'EIO' });
      damaged[damaged.length - at] = (damaged[damaged.length - at] ?? 0) ^ 1;
      await raw.put('k', damaged);
    }
  });

  describe('with an SM2 key (the data key is SM2-encrypted, ASN.1 form)', () => {
    const sm2 = generateKeyPairSync('ec', { namedCurve: 'SM2' }).privateKey;
    const sm2Pem = sm2.export({ type: 'pkcs8', format: 'pem' }).toString();

    test.each(['sm4gcm', 'aes256gcm-rsa', 'chacha20-rsa'])('%s: round trip, and openssl unwraps the data key of the object', async (algo) => {
      const t = tempDir('encsm2');
      try {
        const raw = createStorage('mem', 'sm2');
        const s = withEncryption(raw, { privateKeyPem: sm2Pem, algo });
        const plain = Buffer.from('block bytes '.repeat(50));
        await s.put('k', plain);
        expect((await s.get('k', 6, 5)).toString()).toBe('bytes');
        const sealed = await raw.get('k');
        const keyLen = sealed.readUInt16BE(0);
        expect(sealed[2]).toBe(12);
        expect(sealed[3]).toBe(0x30); // an ASN.1 SEQUENCE
        writeFileSync(path.join(t.dir, 'key.pem'), sm2Pem);
        writeFileSync(path.join(t.dir, 'wrapped'), sealed.subarray(3, 3 + keyLen));
        const key = execFileSync('openssl', ['pkeyutl', '-decrypt', '-inkey', path.join(t.dir, 'key.pem'), '-in', path.join(t.dir, 'wrapped')]);
        expect(key.length).toBe(algo === 'sm4gcm' ? 16 : 32);
        expect(sealed.length).toBe(3 + keyLen + 12 + plain.length + 16);
        if (algo === 'sm4gcm') expect(sm4GcmOpen(key, sealed.subarray(3 + keyLen, 15 + keyLen), sealed.subarray(15 + keyLen)).equals(plain)).toBe(true);
      } finally {
        t.remove();
      }
    });

    test('a passphrase-protected SM2 key loads with its passphrase; another SM2 key cannot open', async () => {
      const locked = sm2.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString();
      const raw = createStorage('mem', 'sm2pw');
      await withEncryption(raw, { privateKeyPem: locked, passphrase: 'pw', algo: 'sm4gcm' }).put('k', Buffer.from('v'));
      expect((await withEncryption(raw, { privateKeyPem: sm2Pem, algo: 'sm4gcm' }).get('k')).toString()).toBe('v');
      const other = generateKeyPairSync('ec', { namedCurve: 'SM2' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      await expect(withEncryption(raw, { privateKeyPem: other, algo: 'sm4gcm' }).get('k')).rejects.toMatchObject({ code: 'EIO' });
    });

    test('other key types are refused with the types that work', () => {
      const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      expect(() => new ObjectCipher({ privateKeyPem: p256, algo: 'sm4gcm' })).toThrow(/RSA or SM2 only/);
    });
  });

  test('an unknown algorithm is refused', () => {
    expect(() => new ObjectCipher({ privateKeyPem: pkcs1, algo: 'rot13' })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});
