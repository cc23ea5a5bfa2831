// Throughput of sealing and opening 4 MiB blocks (the default block size) per EncryptAlgo, with
// the whole ObjectCipher path (data key wrapped per object with a 2048-bit RSA key, or an SM2
// key, as on a volume) and the bare AEAD alone. sm4gcm's GHASH runs in JavaScript; the others are all OpenSSL.
// `pnpm --filter @juicefs/chunk bench:encryption` (JFS_BENCH_BLOCKS changes the 32 blocks per round).
import { createCipheriv, createDecipheriv, generateKeyPairSync, randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { ObjectCipher } from '../src/object/encrypted.js';
import { Gcm } from '../src/object/sm4-gcm.js';

const MiB = 1 << 20;
const BLOCK = 4 * MiB;
const BLOCKS = Math.max(1, Number(process.env.JFS_BENCH_BLOCKS ?? 32));
const ROUNDS = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** MiB/s of `BLOCKS` blocks through `fn`, median of ROUNDS after one warm-up round. */
function rate(fn: (b: Buffer) => void, block: Buffer): number {
  const runs: number[] = [];
  for (let r = 0; r <= ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < BLOCKS; i++) fn(block);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r > 0) runs.push((BLOCKS * BLOCK) / MiB / s);
  }
  return median(runs);
}

const block = randomBytes(BLOCK);
const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
console.log(`node ${process.version}, ${cpus()[0]?.model ?? '?'} ×${cpus().length}, ${BLOCKS} × 4 MiB per round, median of ${ROUNDS}`);
const sm2Pem = generateKeyPairSync('ec', { namedCurve: 'SM2' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
console.log('algo (key)            seal MiB/s  open MiB/s  seal+open MiB/s   (ObjectCipher: wrap + AEAD per object)');
for (const [algo, keyType] of [['aes256gcm-rsa', 'RSA'], ['chacha20-rsa', 'RSA'], ['sm4gcm', 'RSA'], ['sm4gcm', 'SM2']] as const) {
  const c = new ObjectCipher({ privateKeyPem: keyType === 'RSA' ? pem : sm2Pem, algo });
  const sealed = c.seal(block);
  const seal = rate((b) => c.seal(b), block);
  const open = rate((s) => c.open(s, 'bench'), sealed);
  const both = rate((b) => c.open(c.seal(b), 'bench'), block);
  console.log(`${`${algo} (${keyType})`.padEnd(22)}${seal.toFixed(0).padStart(10)}${open.toFixed(0).padStart(12)}${both.toFixed(0).padStart(17)}`);
}

console.log('bare AEAD             seal MiB/s  open MiB/s');
const key16 = randomBytes(16);
const key32 = randomBytes(32);
const nonce = randomBytes(12);
const gcm = new Gcm(key16, 'sm4');
const sm4Sealed = gcm.seal(nonce, block);
const aesSeal = (b: Buffer) => {
  const e = createCipheriv('aes-256-gcm', key32, nonce);
  return Buffer.concat([e.update(b), e.final(), e.getAuthTag()]);
};
const aesSealed = aesSeal(block);
const aesOpen = (s: Buffer) => {
  const d = createDecipheriv('aes-256-gcm', key32, nonce);
  d.setAuthTag(s.subarray(s.length - 16));
  return Buffer.concat([d.update(s.subarray(0, s.length - 16)), d.final()]);
};
console.log(`aes-256-gcm           ${rate(aesSeal, block).toFixed(0).padStart(10)}${rate(aesOpen, aesSealed).toFixed(0).padStart(12)}`);
console.log(`sm4-gcm               ${rate((b) => gcm.seal(nonce, b), block).toFixed(0).padStart(10)}${rate((s) => gcm.open(nonce, s), sm4Sealed).toFixed(0).padStart(12)}`);
const ctr = (b: Buffer) => {
  const e = createCipheriv('sm4-ctr', key16, randomBytes(16));
  return e.update(b);
};
// A wrong tag makes open() stop after GHASH, before any decryption: GHASH's own speed.
const wrongTag = Buffer.concat([block, Buffer.alloc(16)]);
const ghashOnly = (s: Buffer) => {
  try {
    gcm.open(nonce, s);
  } catch {
    // expected
  }
};
console.log(`(GHASH alone          ${rate(ghashOnly, wrongTag).toFixed(0).padStart(10)}  — the JavaScript part of sm4-gcm)`);
console.log(`(sm4-ctr alone        ${rate(ctr, block).toFixed(0).padStart(10)}  — the OpenSSL part of sm4-gcm)`);
