import * as fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createStorage } from '@juicefs/chunk';
import { objectStorageConformance } from '@juicefs/core/conformance';
import { createGatewayServer } from '../src/gateway/server.js';
import { openVolumeFs, type VolumeFs } from '../src/volume-fs.js';
import { startDavServer, type DavServer } from '../src/webdav/server.js';
import { juicefsAsync, mustFormat, pattern } from './tools-volume.js';

// The whole ObjectStorage conformance suite, through this project's own servers: `--storage
// webdav` (OpenDAL's webdav service, which had only had its URL parsing tested: no WebDAV server
// was at hand) against `juicefs webdav`, and `--storage s3` against `juicefs gateway`, each
// serving a SQLite + local-directory volume in this process. A volume can keep its blocks in
// another volume through either.

let dir: string;
let served: VolumeFs;
let dav: DavServer;
let gateway: Server;
let gatewayUrl: string;
let runs = 0;

const AK = 'conformance';
const SK = 'conformance-secret';

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-objconf-'));
  const meta = `sqlite3://${dir}/meta.db`;
  mustFormat(meta, 'outervol', path.join(dir, 'bucket'), '--trash-days', '0');
  served = await openVolumeFs(meta);
  dav = await startDavServer(
    { address: '127.0.0.1:0', fs: served.fs, root: '/', gzip: false, disallowList: false, enableProppatch: false, threads: 4, username: 'davuser', password: 'davpass' },
    { debug: () => undefined, warn: (m) => process.stderr.write(`${m}\n`) },
  );
  gateway = createGatewayServer(served.fs, {
    bucket: 'outervol', multiBuckets: true, keepEtag: false, objectTag: false, objectMeta: false, headDir: false, hideDirObject: false,
    readOnly: false, domains: [], credentials: { accessKey: AK, secretKey: SK },
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
}, 60000);

afterAll(async () => {
  await dav?.close(0);
  await new Promise<void>((resolve) => {
    if (!gateway) return resolve();
    gateway.close(() => resolve());
    gateway.closeAllConnections();
  });
  await served?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

objectStorageConformance('webdav (OpenDAL) against juicefs webdav', async () => {
  // Each case in a directory of its own, removed afterwards.
  const root = `/webdav-${++runs}`;
  await served.fs.mkdir(root);
  return {
    storage: createStorage('webdav', `${dav.url}${root}/`, 'davuser', 'davpass'),
    cleanup: () => served.fs.rm(root, { recursive: true, force: true }),
  };
});

objectStorageConformance('s3 against juicefs gateway (--multi-buckets)', async () => {
  // A bucket per case: a top-level directory of the served volume.
  const bucket = `conf-${++runs}`;
  return {
    storage: createStorage('s3', `${gatewayUrl}/${bucket}`, AK, SK),
    cleanup: () => served.fs.rm(`/${bucket}`, { recursive: true, force: true }),
  };
});

test('a volume formatted with --storage webdav keeps its blocks as files of the volume juicefs webdav serves', async () => {
  const innerMeta = `sqlite3://${dir}/inner.db`;
  await served.fs.mkdir('/dav-bucket');
  const f = await juicefsAsync('format', innerMeta, 'innervol', '--storage', 'webdav', '--bucket', `${dav.url}/dav-bucket/`, '--access-key', 'davuser', '--secret-key', 'davpass', '--trash-days', '0');
  expect(f.code).toBe(0);
  const inner = await openVolumeFs(innerMeta);
  const data = pattern(5 << 20, 7);
  try {
    await inner.fs.writeFile('/big.bin', data);
  } finally {
    await inner.close();
  }
  const again = await openVolumeFs(innerMeta);
  try {
    expect((await again.fs.readFile('/big.bin')).equals(data)).toBe(true);
  } finally {
    await again.close();
  }
  // 5 MiB in 4 MiB blocks: two objects under the inner volume's chunks/, files of the outer one.
  const blocks: string[] = [];
  const walk = async (p: string): Promise<void> => {
    for (const e of await served.fs.readdirEntries(p)) {
      const child = `${p}/${e.name}`;
      if ((await served.fs.stat(child)).isDirectory()) await walk(child);
      else blocks.push(child);
    }
  };
  await walk('/dav-bucket/innervol/chunks');
  expect(blocks.map((b) => b.replace(/.*\/\d+_(\d+)_(\d+)$/, '$1:$2')).sort()).toEqual(['0:4194304', '1:1048576']);
}, 60000);
