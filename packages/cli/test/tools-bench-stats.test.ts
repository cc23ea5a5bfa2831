import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StatsPainter, formatAmount, formatCpu, formatLatency, parseStats, statsHeader, statsLine } from '../src/commands/stats.js';
import { startMetricsServer } from '../src/metrics/index.js';
import { juicefs, mustFormat, openVolume, pattern, repo } from './tools-volume.js';

// bench and objbench run their real workloads on a temp directory / file bucket; stats reads a
// .stats file written from a real Vfs; the metrics server is scraped over HTTP.

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-tools-bench-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('juicefs bench', () => {
  it('writes, reads and stats big and small files, prints the table and cleans up', () => {
    const r = juicefs('bench', dir, '--big-file-size', '4', '--small-file-count', '10', '--small-file-size', '16', '-p', '2');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('BlockSize: 1 MiB, BigFileSize: 4 MiB, SmallFileSize: 16 KiB, SmallFileCount: 10, NumThreads: 2');
    for (const item of ['Write big file', 'Read big file', 'Write small file', 'Read small file', 'Stat file']) {
      expect(r.out).toMatch(new RegExp(`\\|\\s+${item} \\|\\s+[\\d.]+ (MiB|files)/s \\|\\s+[\\d.]+ (s|ms)/file \\|`));
    }
    // The benchmark directory is gone afterwards.
    expect(fs.readdirSync(dir)).toEqual([]);
    const j = JSON.parse(juicefs('bench', dir, '--big-file-size', '0', '--small-file-count', '3', '--json').out) as Array<{ item: string }>;
    expect(j.map((x) => x.item)).toEqual(['Write small file', 'Read small file', 'Stat file']);
    const bad = juicefs('bench', path.join(dir, 'missing'));
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/is not a directory: give an existing directory/);
  });

  it('takes sizes as JuiceFS documents them (1M, 4M, 16K) as well as bare MiB and KiB', () => {
    const r = juicefs('bench', dir, '--block-size', '1M', '--big-file-size', '4M', '--small-file-count', '3', '--small-file-size', '16K', '--json');
    expect({ code: r.code, items: (JSON.parse(r.out) as Array<{ item: string }>).length }).toEqual({ code: 0, items: 5 });
    const bad = juicefs('bench', dir, '--big-file-size', '4MB');
    expect({ code: bad.code, said: bad.err.includes('invalid --big-file-size "4MB"'), left: fs.readdirSync(dir) }).toEqual({ code: 1, said: true, left: [] });
  });
});

describe('juicefs objbench', () => {
  it('passes the functional checks on file storage, measures, and leaves no objects', () => {
    const bucket = path.join(dir, 'bucket');
    const r = juicefs('objbench', '--storage', 'file', bucket, '--big-object-size', '2', '--block-size', '512', '--small-objects', '10', '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { Functional: Array<{ test: string; result: string }>; Performance: Array<{ item: string; value: string }> };
    expect(j.Functional.length).toBeGreaterThanOrEqual(10);
    for (const c of j.Functional) expect(['pass', 'not support']).toContain(c.result);
    expect(j.Performance.map((p) => p.item)).toEqual(['upload objects', 'download objects', 'put small objects', 'get small objects', 'list objects', 'head objects', 'delete objects']);
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) (e.isDirectory() ? walk(path.join(d, e.name)) : files.push(e.name));
    };
    walk(bucket);
    expect(files).toEqual([]);
  });

  it('takes sizes as JuiceFS documents them (512K, 2M); a bad one fails before the bucket is touched', () => {
    const bucket = path.join(dir, 'units');
    const r = juicefs('objbench', '--storage', 'file', bucket, '--big-object-size', '2M', '--block-size', '512K', '--small-object-size', '16K', '--small-objects', '3', '--skip-functional-tests', '--json');
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    const bad = juicefs('objbench', '--storage', 'file', path.join(dir, 'never'), '--block-size', '4MiB');
    expect({ code: bad.code, said: bad.err.includes('invalid --block-size "4MiB"'), made: fs.existsSync(path.join(dir, 'never')) }).toEqual({ code: 1, said: true, made: false });
  });

  it('fails with a clear message when the bucket cannot be created', () => {
    fs.writeFileSync(path.join(dir, 'file'), 'x');
    const r = juicefs('objbench', '--storage', 'file', path.join(dir, 'file', 'sub'), '--skip-functional-tests', '--small-objects', '1', '--big-object-size', '0');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^juicefs: EIO: cannot open or create bucket .*file\/sub \(file\): .*check --storage, BUCKET and the keys/);
  });
});

describe('juicefs stats', () => {
  it('turns two .stats samples into per-second rates and latencies, five characters each as JuiceFS prints them', () => {
    const a = parseStats('juicefs_fuse_ops_durations_histogram_seconds_total 10\njuicefs_fuse_ops_durations_histogram_seconds_sum 0.5\njuicefs_fuse_read_bytes 0\njuicefs_memory 1048576\n');
    const b = parseStats('juicefs_fuse_ops_durations_histogram_seconds_total 30\njuicefs_fuse_ops_durations_histogram_seconds_sum 0.54\njuicefs_fuse_read_bytes 4194304\njuicefs_memory 1048576\n');
    const [header, names] = statsHeader().split('\n');
    // Sections centred in dashes over their columns, one space between; names centred in 5.
    expect(header).toBe('------usage------ ----------fuse--------- ----meta--- -blockcache ---object--');
    expect(names).toBe(' cpu   mem   buf | ops   lat   read write| ops   lat | read write| get   put ');
    // cpu, mem, buf | fuse ops/s, ms/op, read/s, write/s | ...
    expect(statsLine(b, a, 2)).toBe(' 0.0% 1024K    0 |  10  2.00  2048K    0 |   0     0 |   0     0 |   0     0 ');
  });

  it('formats figures as JuiceFS does: units of 1024 kept under 10000, latencies by size, CPU in percent', () => {
    expect([0, 1, 9999, 10000, 5 * 2 ** 20, 20000 * 2 ** 20, 3 * 2 ** 50].map((v) => formatAmount(v, true))).toEqual([
      '   0 ', '   1B', '9999B', '   9K', '5120K', '  19G', '3072T',
    ]);
    expect(formatAmount(42, false)).toBe('  42 ');
    expect([0, 0.25, 12.34, 512, 12345].map((v) => formatLatency(v))).toEqual(['   0 ', '0.25 ', '12.3 ', ' 512 ', '1e+04']);
    expect([0, 0.125, 0.5, 1.5].map((v) => formatCpu(v))).toEqual([' 0.0%', '12.5%', '50.0%', ' 150%']);
    // On a terminal: bold colours by magnitude (red for small counts, yellow for K), grey units.
    const tty = new StatsPainter(true);
    expect(formatAmount(9, false, tty)).toBe('\x1b[1;31m   9\x1b[0m '); // a blank unit is left unpainted
    expect(formatAmount(20000, true, tty)).toBe('\x1b[1;33m  19\x1b[0m\x1b[1;30mK\x1b[0m');
    expect(formatLatency(1.5, tty, true)).toBe('\x1b[0;32m1.50 \x1b[0m');
  });

  it('shows the block cache as JuiceFS does: bytes read from it and written into it per second', () => {
    const a = parseStats('juicefs_blockcache_hit_bytes 0\njuicefs_blockcache_write_bytes 0\njuicefs_blockcache_hits 0\n');
    const b = parseStats('juicefs_blockcache_hit_bytes 83886080\njuicefs_blockcache_write_bytes 2097152\njuicefs_blockcache_hits 2\n');
    const header = statsHeader().split('\n');
    const sections = header[0]!.split(' ').map((x) => x.replace(/-/g, '')).filter((x) => x !== '');
    const at = sections.indexOf('blockcache');
    expect(header[1]!.split('|')[at]!.trim().split(/\s+/)).toEqual(['read', 'write']);
    expect(statsLine(b, a, 2).split('|')[at]).toBe('  40M 1024K');
  });

  it('follows a live .stats file of a real Vfs for --count lines', async () => {
    const meta = `sqlite3://${dir}/meta.db`;
    mustFormat(meta, 'stats-vol', path.join(dir, 'bucket'));
    const v = await openVolume(meta);
    const mp = path.join(dir, 'mp');
    fs.mkdirSync(mp);
    const dump = () => fs.writeFileSync(path.join(mp, '.stats'), v.vfs.metrics.render(v.store));
    dump();
    const bin = path.join(__dirname, 'support/juicefs-from-source.cjs');
    const child = spawn(process.execPath, [bin, 'stats', mp, '--interval', '0.3', '--count', '3'], { cwd: repo });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const done = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    let i = 0;
    let running = true;
    void done.then(() => (running = false));
    try {
      while (running) {
        await v.fs.writeFile(`/f${i % 5}`, pattern(4096, i));
        await v.fs.readFile(`/f${i % 5}`);
        i++;
        dump();
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(await done).toBe(0);
    } finally {
      await v.close();
    }
    expect(err).toBe('');
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/usage.*fuse.*meta.*blockcache.*object/);
    // Not a terminal: no colours, and only full lines (no running line redrawn with \r).
    expect(out).not.toMatch(/\x1b|\r/);
    // Work happened during the run, so at least one line shows FUSE and metadata operations.
    const fuseOps = lines.slice(2).map((l) => l.split('|')[1]!.trim().split(/\s+/)[0]!);
    expect(fuseOps.some((x) => x !== '0')).toBe(true);
    const bad = juicefs('stats', dir, '--count', '1');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/has no \.stats file/);
  });
});

describe('metrics server', () => {
  it('serves JuiceFS metric names fed from a live Vfs and chunk store', async () => {
    const meta = `sqlite3://${dir}/meta.db`;
    mustFormat(meta, 'metrics-vol', path.join(dir, 'bucket'));
    const v = await openVolume(meta);
    const backup = { lastSuccessAt: 1_700_000_000_000, lastDurationMs: 1500 };
    const server = await startMetricsServer('127.0.0.1:0', { vfs: v.vfs.metrics, store: v.store, labels: { vol_name: 'metrics-vol', mp: '/mnt/x' }, backup });
    try {
      await v.fs.writeFile('/a', pattern(10000, 1));
      await v.fs.readFile('/a');
      const res = await fetch(server.url);
      expect(res.status).toBe(200);
      const text = await res.text();
      const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
      expect(value(/^juicefs_fuse_written_bytes\{[^}]*vol_name="metrics-vol"[^}]*\} (\d+)$/m)).toBe(10000);
      expect(value(/^juicefs_fuse_read_bytes\{[^}]*\} (\d+)$/m)).toBe(10000);
      expect(value(/^juicefs_fuse_ops_durations_histogram_seconds_count\{method="write"[^}]*\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
      expect(value(/^juicefs_meta_ops_durations_histogram_seconds_count\{method="create"[^}]*\} (\d+)$/m)).toBe(1);
      // SQLite transactions as the engine counted them (reads outside transactions are not among them).
      const txns = value(/^juicefs_transaction_durations_histogram_seconds_count\{[^}]*\} (\d+)$/m);
      expect(txns).toBeGreaterThan(0);
      expect(txns).toBeLessThanOrEqual(v.meta.txDurations?.total ?? 0); // background jobs may have run more since
      expect(value(/^juicefs_object_request_durations_histogram_seconds_count\{method="PUT"[^}]*\} (\d+)$/m)).toBe(v.store.stats().objectPuts);
      expect(value(/^juicefs_object_request_durations_histogram_seconds_sum\{method="PUT"[^}]*\} ([\d.e-]+)$/m)).toBeGreaterThan(0);
      expect(value(/^juicefs_object_request_durations_histogram_seconds_count\{method="DELETE"[^}]*\} (\d+)$/m)).toBe(0);
      expect(value(/^juicefs_object_request_errors\{[^}]*\} (\d+)$/m)).toBe(0);
      expect(value(/^juicefs_blockcache_hit_bytes\{[^}]*\} (\d+)$/m)).toBe(v.store.stats().cacheHitBytes);
      expect(value(/^juicefs_object_request_data_bytes\{method="PUT"[^}]*\} (\d+)$/m)).toBe(v.store.stats().putBytes);
      expect(value(/^juicefs_uptime\{[^}]*\} ([\d.]+)$/m)).toBeGreaterThan(0);
      expect(value(/^juicefs_transaction_restart\{[^}]*\} (\d+)$/m)).toBe(0); // one client: nothing to conflict with
      expect(text).toContain('# TYPE juicefs_blockcache_hits counter');
      expect(value(/^juicefs_last_successful_backup\{[^}]*\} (\d+)$/m)).toBe(1_700_000_000);
      expect(value(/^juicefs_last_backup_duration\{[^}]*\} ([\d.]+)$/m)).toBe(1.5);
      expect((await fetch(server.url.replace('/metrics', '/nope'))).status).toBe(404);
      await expect(startMetricsServer(server.url.replace(/^http:\/\/|\/metrics$/g, ''), { vfs: v.vfs.metrics, store: v.store })).rejects.toMatchObject({ code: 'EBUSY' });
      await expect(startMetricsServer('nonsense', { vfs: v.vfs.metrics, store: v.store })).rejects.toThrow(/use HOST:PORT/);
    } finally {
      await server.close();
      await v.close();
    }
  });
});
