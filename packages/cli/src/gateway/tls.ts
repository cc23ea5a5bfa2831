import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fsError } from '@juicefs/core';

/** The certificate and key an HTTPS gateway serves with, and the directory they came from. */
export interface GatewayTls {
  cert: Buffer;
  key: Buffer;
  dir: string;
}

/** Where MinIO, and so JuiceFS's MinIO-based gateway, looks for its certificate by default. */
export function defaultCertsDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env['HOME'] || os.homedir(), '.minio', 'certs');
}

/**
 * The gateway's TLS setup as MinIO finds it: `public.crt` and `private.key` in the certs
 * directory (`--certs-dir`, by default `~/.minio/certs`) turn HTTPS on; neither leaves plain HTTP.
 * Only one of the two, or a --certs-dir that does not exist, is an error naming what is missing.
 */
export function gatewayTls(certsDir: string | undefined, env: NodeJS.ProcessEnv = process.env): GatewayTls | undefined {
  const dir = certsDir ?? defaultCertsDir(env);
  if (certsDir !== undefined && !existsSync(certsDir)) {
    throw fsError('ENOENT', `--certs-dir ${certsDir} does not exist: give the directory holding public.crt and private.key`);
  }
  const certFile = path.join(dir, 'public.crt');
  const keyFile = path.join(dir, 'private.key');
  const haveCert = existsSync(certFile);
  const haveKey = existsSync(keyFile);
  if (!haveCert && !haveKey) {
    if (certsDir !== undefined) throw fsError('ENOENT', `--certs-dir ${certsDir} has neither public.crt nor private.key: put the certificate and its key there`);
    return undefined;
  }
  if (!haveCert || !haveKey) {
    throw fsError('ENOENT', `${dir} has ${haveCert ? 'public.crt but no private.key' : 'private.key but no public.crt'}: HTTPS needs both (or remove the other to serve plain HTTP)`);
  }
  const read = (file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw fsError('EACCES', `cannot read ${file}: ${(err as Error).message}`);
    }
  };
  return { cert: read(certFile), key: read(keyFile), dir };
}
