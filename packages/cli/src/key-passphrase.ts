/**
 * The passphrase of a protected `EncryptKey` PEM, from `JFS_RSA_PASSPHRASE` as JuiceFS reads it
 * (for RSA and SM2 keys alike, despite the name), in the shape openVolumeStorage and
 * ObjectCipher take. Unset or empty: no passphrase; an unprotected key ignores one.
 */
export function keyPassphrase(env: NodeJS.ProcessEnv = process.env): { passphrase?: string } {
  const p = env['JFS_RSA_PASSPHRASE'];
  return p ? { passphrase: p } : {};
}
