// Where the real servers used by these tests are, and fresh isolated places on them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';

export const S3_URL = process.env.JFS_TEST_S3_URL ?? 'http://127.0.0.1:9000';
export const S3_KEY = process.env.JFS_TEST_S3_ACCESS_KEY ?? 'S3RVER';
export const S3_SECRET = process.env.JFS_TEST_S3_SECRET_KEY ?? 'S3RVER';

/** Fails (never skips) when the S3 server is not up. */
export async function requireS3(): Promise<void> {
  const u = new URL(S3_URL);
  const ok = await new Promise<boolean>((resolve) => {
    const s = connect(Number(u.port || 80), u.hostname);
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
  if (!ok) throw new Error(`no S3 server at ${S3_URL}: run scripts/services/s3.sh (or set JFS_TEST_S3_URL)`);
}

/** A bucket name nobody else uses. */
export function freshBucket(tag: string): string {
  return `jfs-${tag}-${randomBytes(4).toString('hex')}`.toLowerCase();
}

export function tempDir(tag: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), `jfs-chunk-${tag}-`));
  // maxRetries: background cache writes of a just-closed store may still be landing.
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 }) };
}

/** Empties and deletes a test bucket on the S3 server, so test runs do not pile up data there. */
export async function dropS3Bucket(bucket: string): Promise<void> {
  const { createStorage, deleteS3Bucket } = await import('../src/object/index.js');
  const s = createStorage('s3', `${S3_URL}/${bucket}`, S3_KEY, S3_SECRET);
  let keys: string[];
  try {
    keys = (await s.list('')).map((i) => i.key);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return;
    throw err;
  }
  // One at a time: s3rver answers 500 to concurrent deletes that prune the same directories.
  for (const k of keys) await s.delete(k);
  await deleteS3Bucket({ endpoint: S3_URL, bucket, region: 'us-east-1', accessKey: S3_KEY, secretKey: S3_SECRET });
}
