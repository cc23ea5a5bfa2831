import { decryptSecret, encryptSecret, openSecrets, sealSecrets } from '../src/secrets.js';
import type { Format } from '@juicefs/core';

// FORMAT.md 6.1: format secrets are base64(nonce ‖ ciphertext ‖ tag) under a key derived from the UUID.
const UUID = 'faa27c8f-edab-4791-a4e0-1620b732b343';

describe('format secrets', () => {
  test('AES-128-GCM keyed by MD5(UUID): the EncryptKey of metadata.sample', () => {
    expect(decryptSecret(UUID, 'AQSttslKOSE/hQT/gmaMniCsdPF8JdPRfoYK6zFkdUOnifYwBA==')).toBe('foobarbaz');
    expect(decryptSecret(UUID, 'AQSttslKOSE/hQT/gmaMniCsdPF8JdPRfoYK6zFkdUOnifYwBA==', 'chacha20-rsa')).toBe('foobarbaz');
  });

  test('sm4gcm: SM4-GCM keyed by SM3-KDF(UUID, 16), as sealed by Go (chunk test/go-vectors)', () => {
    const fromGo = 'AAECAwQFBgcICQoLh6h3Q/+IFFmtUMDUa9gbV2zqepu3WUmbKg==';
    expect(decryptSecret(UUID, fromGo, 'sm4gcm')).toBe('foobarbaz');
    // The other cipher does not open it: the algorithm really selects the cipher.
    expect(() => decryptSecret(UUID, fromGo)).toThrow(/cannot decrypt a secret/);
    // JuiceFS matches the name exactly: "SM4GCM" is not sm4gcm (it gets the AES default).
    expect(() => decryptSecret(UUID, fromGo, 'SM4GCM')).toThrow(/cannot decrypt a secret/);
  });

  test.each(['sm4gcm', 'aes256gcm-rsa', undefined])('round trip with EncryptAlgo %s; 12-byte nonce, 16-byte tag', (algo) => {
    const sealed = encryptSecret(UUID, 'héllo', algo);
    expect(Buffer.from(sealed, 'base64').length).toBe(12 + Buffer.byteLength('héllo') + 16);
    expect(decryptSecret(UUID, sealed, algo)).toBe('héllo');
    expect(() => decryptSecret('00000000-0000-0000-0000-000000000000', sealed, algo)).toThrow();
  });

  test('sealSecrets/openSecrets follow the record\'s EncryptAlgo; "removed" stays as it is', () => {
    const f = { UUID, EncryptAlgo: 'sm4gcm', SecretKey: 'sk', SessionToken: 'removed', EncryptKey: 'pem' } as unknown as Format;
    sealSecrets(f);
    expect(f.KeyEncrypted).toBe(true);
    expect(f.SessionToken).toBe('removed');
    expect(decryptSecret(UUID, f.SecretKey ?? '', 'sm4gcm')).toBe('sk');
    expect(openSecrets(f)).toMatchObject({ SecretKey: 'sk', SessionToken: 'removed', EncryptKey: 'pem', KeyEncrypted: false });
    expect(() => decryptSecret(UUID, 'removed', 'sm4gcm')).toThrow(/secret was removed/);
  });
});
