import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { Gcm, sm3Kdf } from '@juicefs/chunk';
import type { Format } from '@juicefs/core';

/**
 * Format-record secrets (FORMAT.md 6.1), stored as base64(12-byte nonce ‖ ciphertext ‖ 16-byte tag)
 * with no associated data, under a key derived from the volume UUID text:
 * - EncryptAlgo `sm4gcm`: SM4-GCM keyed by the SM3 KDF of the UUID, 16 bytes (JuiceFS 1.4);
 * - any other value: AES-128-GCM keyed by MD5 of the UUID.
 * JuiceFS compares the algorithm name exactly (a record saying "SM4GCM" gets AES), and so do we.
 */
function usesSm4(algo: string | undefined): boolean {
  return algo === 'sm4gcm';
}

export function encryptSecret(uuid: string, plain: string, algo?: string): string {
  const nonce = randomBytes(12);
  if (usesSm4(algo)) {
    const sealed = new Gcm(sm3Kdf(Buffer.from(uuid), 16), 'sm4').seal(nonce, Buffer.from(plain, 'utf8'));
    return Buffer.concat([nonce, sealed]).toString('base64');
  }
  const c = createCipheriv('aes-128-gcm', createHash('md5').update(uuid).digest(), nonce);
  const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return Buffer.concat([nonce, body, c.getAuthTag()]).toString('base64');
}

export function decryptSecret(uuid: string, sealed: string, algo?: string): string {
  if (sealed === 'removed') {
    throw new Error('secret was removed from this volume\'s settings (it was loaded from a dump made without --keep-secret-key): set it again with juicefs config META-URL --secret-key KEY');
  }
  const raw = Buffer.from(sealed, 'base64');
  if (raw.length < 12 + 16) throw new Error('encrypted secret is too short');
  const nonce = raw.subarray(0, 12);
  try {
    if (usesSm4(algo)) return new Gcm(sm3Kdf(Buffer.from(uuid), 16), 'sm4').open(nonce, raw.subarray(12)).toString('utf8');
    const d = createDecipheriv('aes-128-gcm', createHash('md5').update(uuid).digest(), nonce);
    d.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]).toString('utf8');
  } catch (err) {
    throw new Error(`cannot decrypt a secret of the format (${usesSm4(algo) ? 'SM4-GCM' : 'AES-GCM'} keyed by the UUID): the record is damaged or its UUID/EncryptAlgo changed`, { cause: err });
  }
}

const SECRETS = ['SecretKey', 'SessionToken', 'EncryptKey'] as const;

/**
 * A copy with the secrets in plain text and KeyEncrypted off. A secret that reads "removed" (a
 * volume loaded from a dump without --keep-secret-key) stays as it is: there is nothing to decrypt.
 */
export function openSecrets(f: Format): Format {
  const out: Format = { ...f, KeyEncrypted: false };
  if (!f.KeyEncrypted) return out;
  for (const k of SECRETS) {
    const v = f[k];
    if (typeof v === 'string' && v !== '' && v !== 'removed') out[k] = decryptSecret(f.UUID, v, f.EncryptAlgo);
  }
  return out;
}

/** Encrypt the plain secrets of `f` (from openSecrets or the command line) and mark the record. */
export function sealSecrets(f: Format): void {
  let any = false;
  for (const k of SECRETS) {
    const v = f[k];
    if (typeof v !== 'string' || v === '') continue;
    if (v !== 'removed') f[k] = encryptSecret(f.UUID, v, f.EncryptAlgo);
    any = true;
  }
  if (any) f.KeyEncrypted = true;
  else delete f.KeyEncrypted;
}

/** A copy for printing: secrets (and the encryption key) replaced by "removed". */
export function redacted(f: Format): Format {
  const copy: Format = { ...f };
  for (const k of ['SecretKey', 'SessionToken', 'EncryptKey'] as const) {
    if (typeof copy[k] === 'string' && copy[k] !== '') copy[k] = 'removed';
  }
  return copy;
}
