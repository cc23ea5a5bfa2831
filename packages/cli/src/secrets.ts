import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Format } from '@juicefs/core';

/**
 * Format-record secrets (FORMAT.md 6.1): AES-GCM keyed by MD5 of the volume UUID, stored as
 * base64(nonce ‖ ciphertext ‖ tag). (The sm4gcm variant is not supported here.)
 */
function key(uuid: string): Buffer {
  return createHash('md5').update(uuid).digest();
}

export function encryptSecret(uuid: string, plain: string): string {
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-128-gcm', key(uuid), nonce);
  const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return Buffer.concat([nonce, body, c.getAuthTag()]).toString('base64');
}

export function decryptSecret(uuid: string, sealed: string): string {
  if (sealed === 'removed') throw new Error('secret was removed');
  const raw = Buffer.from(sealed, 'base64');
  const d = createDecipheriv('aes-128-gcm', key(uuid), raw.subarray(0, 12));
  d.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]).toString('utf8');
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
    if (typeof v === 'string' && v !== '' && v !== 'removed') out[k] = decryptSecret(f.UUID, v);
  }
  return out;
}

/** Encrypt the plain secrets of `f` (from openSecrets or the command line) and mark the record. */
export function sealSecrets(f: Format): void {
  let any = false;
  for (const k of SECRETS) {
    const v = f[k];
    if (typeof v !== 'string' || v === '') continue;
    if (v !== 'removed') f[k] = encryptSecret(f.UUID, v);
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
