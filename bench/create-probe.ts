import fs from 'node:fs';
import path from 'node:path';

// How fast the work dir's file system creates files just before a round, shown beside the
// round's figures. On these VMs the root ext4 has no journal, and such an ext4 skips every inode
// freed in the last few minutes whose inode-table block is still cached (`recently_deleted` in
// `find_inode_bit`, seen with perf): after the bench or the tests removed thousands of files,
// a create took 0.3-1.2 ms instead of 30-50 µs, for minutes. The bench runs on a scratch ext4 of
// its own (with a journal, as most are) unless `--work-dir` says otherwise; this probe shows
// when a round ran on a slow disk anyway.

/** Mean µs of one create (open with O_CREAT, a 4 KiB write, close) in `dir` over `count` files, removed again afterwards. */
export function probeCreateMicros(dir: string, count = 50): number {
  const page = Buffer.alloc(4096, 7);
  const files: string[] = [];
  let total = 0n;
  try {
    for (let i = 0; i < count; i++) {
      const file = path.join(dir, `create-probe.${process.pid}.${i}`);
      const start = process.hrtime.bigint();
      const fd = fs.openSync(file, 'w');
      files.push(file);
      try {
        fs.writeSync(fd, page);
      } finally {
        fs.closeSync(fd);
      }
      total += process.hrtime.bigint() - start;
    }
  } finally {
    for (const file of files) fs.rmSync(file, { force: true });
  }
  return Number(total) / 1000 / count;
}
