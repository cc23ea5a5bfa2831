import { createHash } from 'node:crypto';

/**
 * The SM3 key derivation function of GM/T 0003.4 (SM2 part 4, also RFC 8998's context):
 * SM3(Z ‖ ct) for ct = 1, 2, … as 32-bit big-endian counters, concatenated and cut to `length`
 * bytes. JuiceFS 1.4 keys the SM4-GCM protection of format secrets with KDF(UUID text, 16), and
 * SM2 public-key encryption uses the same function for its keystream.
 */
export function sm3Kdf(z: Uint8Array, length: number): Buffer {
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`SM3 KDF length must be a whole number of bytes, not ${length}`);
  const out = Buffer.alloc(length);
  const ct = Buffer.alloc(4);
  for (let done = 0, i = 1; done < length; done += 32, i++) {
    ct.writeUInt32BE(i >>> 0, 0);
    createHash('sm3').update(z).update(ct).digest().copy(out, done);
  }
  return out;
}
