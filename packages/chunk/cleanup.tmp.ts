import { readdirSync } from 'node:fs';
import { dropS3Bucket } from './test/services.js';
(async () => {
  const names = readdirSync('/tmp/juicefs-services/s3/data').filter((n) => /^jfs-(acc|chunk|err|obj|objp)-[0-9a-f]{8}$/.test(n));
  let done = 0;
  for (const n of names) {
    try { await dropS3Bucket(n); done++; } catch (e) { console.log(n, String(e).slice(0, 120)); }
  }
  console.log('dropped', done, 'of', names.length);
})();
