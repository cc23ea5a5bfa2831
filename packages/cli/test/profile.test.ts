import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { accepts, addEntry, parseAccessLine, renderProfile, type OpStats } from '../src/commands/profile.js';
import { juicefs } from './tools-volume.js';

// Lines as the mount's .accesslog writes them (and as JuiceFS does).
const LOG = [
  '2026.11.26 12:45:24.100000 [uid:0,gid:0,pid:10] lookup (2,f0): OK (3,[(1,0644,0,0,1000)]) <0.000100>',
  '2026.11.26 12:45:24.200000 [uid:0,gid:0,pid:10] lookup (2,f1): ENOENT <0.000300>',
  '#',
  '2026.11.26 12:45:25.500000 [uid:1000,gid:1000,pid:11] write (3,4096,0,2): OK <0.002000>',
  'not a log line',
  '2026.11.26 12:45:26.900000 [uid:0,gid:0,pid:10] getattr (1): OK (1,0755,0,0,4096) <0.000050>',
];

describe('juicefs profile', () => {
  it('parses access-log lines and skips the rest', () => {
    expect(parseAccessLine(LOG[0]!)).toMatchObject({ uid: '0', gid: '0', pid: '10', op: 'lookup', latency: 100 });
    expect(parseAccessLine(LOG[3]!)).toMatchObject({ uid: '1000', op: 'write', latency: 2000 });
    expect(parseAccessLine('#')).toBeUndefined();
    expect(parseAccessLine('not a log line')).toBeUndefined();
    const a = parseAccessLine(LOG[0]!)!;
    const b = parseAccessLine(LOG[5]!)!;
    expect(b.time - a.time).toBe(2800);
  });

  it('renders operations by total time, with their share of the window', () => {
    const stats: OpStats = new Map();
    for (const l of LOG) {
      const e = parseAccessLine(l);
      if (e && accepts({ uids: [], gids: [], pids: ['10'] }, e)) addEntry(stats, e);
    }
    const out = renderProfile(stats, 1_000_000, Date.now()).split('\n');
    expect(out[1]).toMatch(/^Operation +Count +Average\(us\) +Total\(us\) +Percent\(%\)$/);
    expect(out[2]).toMatch(/^lookup +2 +200 +400 +0\.0$/);
    expect(out[3]).toMatch(/^getattr +1 +50 +50 +0\.0$/);
    expect(out).not.toContainEqual(expect.stringMatching(/^write/)); // pid 11 filtered out
  });

  it('replays a saved log: totals at once with --interval 0, windows of log time otherwise', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-profile-'));
    try {
      const file = path.join(dir, 'access.log');
      fs.writeFileSync(file, LOG.join('\n') + '\n');
      const all = juicefs('profile', file, '--interval', '0');
      expect(all.code).toBe(0);
      expect(all.out).toContain('(replay done)');
      expect(all.out).toMatch(/^write +1 +2000 +2000 +0\.1$/m); // 2000 us of the 2.8 s the log spans
      expect(all.out).toMatch(/^lookup +2 +200 +400 +0\.0$/m);
      const byUser = juicefs('profile', file, '--interval', '0', '--uid', '1000');
      expect(byUser.out).not.toMatch(/^lookup/m);
      const windows = juicefs('profile', file, '--interval', '1');
      expect(windows.code).toBe(0);
      expect(windows.out.split('> JuiceFS Profiling').length - 1).toBe(3);
      const missing = juicefs('profile', path.join(dir, 'nope'));
      expect(missing.code).toBe(1);
      expect(missing.err).toMatch(/does not exist/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
