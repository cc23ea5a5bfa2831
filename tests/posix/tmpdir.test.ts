import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { posixSuite } from './suite.js';

// The baseline: the POSIX suite against a plain temporary directory on the host's own file system.
// It must pass completely; anything a mount fails that passes here is a bug in the mount.

let dir = '';

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'jfs-posix-base-'));
});

afterAll(async () => {
  if (dir !== '') await fs.rm(dir, { recursive: true, force: true });
});

posixSuite('plain temporary directory (baseline)', () => dir);
