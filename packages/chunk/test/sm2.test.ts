import { execFileSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { sm2Decrypt, sm2Encrypt, sm2KeyFromPkcs8, sm2Multiply, sm2OnCurve, SM2_G, SM2_N } from '../src/object/sm2.js';
import { tempDir } from './services.js';

const derOf = (pem: string | Buffer, passphrase?: string) =>
  createPrivateKey(passphrase === undefined ? { key: pem } : { key: pem, passphrase }).export({ type: 'pkcs8', format: 'der' });

describe('SM2 encryption (GB/T 32918.4, GM/T 0009 ASN.1 form)', () => {
  test('the curve constants: G is on the curve and has order n', () => {
    expect(sm2OnCurve(SM2_G)).toBe(true);
    expect(sm2Multiply(SM2_N, SM2_G)).toBeUndefined();
    const minusG = sm2Multiply(SM2_N - 1n, SM2_G);
    expect(minusG?.x).toBe(SM2_G.x);
    expect(minusG !== undefined && sm2OnCurve(minusG) && minusG.y !== SM2_G.y).toBe(true);
  });

  test('a key Node generates parses, and its embedded public key is d·G (the parser checks)', () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'SM2' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    const key = sm2KeyFromPkcs8(derOf(pem));
    expect(key).toBeDefined();
    expect(key && sm2OnCurve(key.pub)).toBe(true);
  });

  test('keys on other curves, and RSA keys, are not SM2 keys', () => {
    expect(sm2KeyFromPkcs8(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'der' }))).toBeUndefined();
    expect(sm2KeyFromPkcs8(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'der' }))).toBeUndefined();
  });

  test('interoperates with OpenSSL both ways (openssl genpkey -algorithm SM2; pkeyutl -encrypt/-decrypt)', () => {
    const t = tempDir('sm2');
    try {
      const keyFile = path.join(t.dir, 'sm2.pem');
      execFileSync('openssl', ['genpkey', '-algorithm', 'SM2', '-out', keyFile]);
      execFileSync('openssl', ['pkey', '-in', keyFile, '-pubout', '-out', path.join(t.dir, 'pub.pem')]);
      const key = sm2KeyFromPkcs8(derOf(readFileSync(keyFile)));
      if (!key) throw new Error('not parsed as SM2');
      for (const msg of [Buffer.from('0123456789abcdef'), Buffer.alloc(32, 7), Buffer.from('x')]) {
        writeFileSync(path.join(t.dir, 'm'), msg);
        execFileSync('openssl', ['pkeyutl', '-encrypt', '-pubin', '-inkey', path.join(t.dir, 'pub.pem'), '-in', path.join(t.dir, 'm'), '-out', path.join(t.dir, 'c')]);
        expect(sm2Decrypt(key, readFileSync(path.join(t.dir, 'c'))).equals(msg)).toBe(true);
        writeFileSync(path.join(t.dir, 'c2'), sm2Encrypt(key.pub, msg));
        expect(execFileSync('openssl', ['pkeyutl', '-decrypt', '-inkey', keyFile, '-in', path.join(t.dir, 'c2')]).equals(msg)).toBe(true);
      }
    } finally {
      t.remove();
    }
  });

  test('the raw C1 ‖ C3 ‖ C2 form opens too; damage or another key fails', () => {
    const der = generateKeyPairSync('ec', { namedCurve: 'SM2' }).privateKey.export({ type: 'pkcs8', format: 'der' });
    const key = sm2KeyFromPkcs8(der);
    const other = sm2KeyFromPkcs8(generateKeyPairSync('ec', { namedCurve: 'SM2' }).privateKey.export({ type: 'pkcs8', format: 'der' }));
    if (!key || !other) throw new Error('not parsed as SM2');
    const msg = Buffer.from('a 16-byte key!!!');
    const ct = sm2Encrypt(key.pub, msg);
    // ASN.1 → raw: read the four fields back out. Each INTEGER may carry a leading 00, or be
    // shorter than 32 bytes when its top byte is 0 (1 in 256): both become exactly 32 bytes.
    const fields: Buffer[] = [];
    for (let at = 2; at < ct.length; ) {
      const len = ct[at + 1] ?? 0;
      fields.push(ct.subarray(at + 2, at + 2 + len));
      at += 2 + len;
    }
    const coordinate = (f: Buffer) => Buffer.concat([Buffer.alloc(Math.max(0, 32 - f.length)), f.subarray(Math.max(0, f.length - 32))]);
    const [x, y, c3, c2] = fields.map((f, i) => (i < 2 ? coordinate(f) : f)) as [Buffer, Buffer, Buffer, Buffer];
    expect(sm2Decrypt(key, Buffer.concat([Buffer.from([4]), x, y, c3, c2])).equals(msg)).toBe(true);
    expect(() => sm2Decrypt(other, ct)).toThrow();
    const bad = Buffer.from(ct);
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 1;
    expect(() => sm2Decrypt(key, bad)).toThrow();
    expect(() => sm2Decrypt(key, Buffer.concat([ct, Buffer.from([0])]))).toThrow();
  });
});
