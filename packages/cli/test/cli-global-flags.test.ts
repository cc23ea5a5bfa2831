import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { logLevelOf, logTimestamp, messageOf } from '../src/log.js';
import { keepLastOfRepeated } from '../src/args.js';
import { bin, juicefs, repo } from './tools-volume.js';

// JuiceFS's global flags (-v/--debug, -q, --trace, --log-level, --log-id, --no-agent, --pyroscope,
// --no-color), before or after the command: scripts that pass them must keep working, and the
// level they choose must change what reaches stderr, never what reaches stdout.

describe('global flags', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-global-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const format = (name: string, ...flags: string[]) => juicefs(...flags.slice(0, 1), 'format', `sqlite3://${dir}/${name}.db`, name, '--bucket', path.join(dir, `b-${name}`), ...flags.slice(1));

  it('pick the level: trace > debug > quiet, --log-level names one outright', () => {
    expect([
      logLevelOf({}), logLevelOf({ quiet: true }), logLevelOf({ debug: true, quiet: true }), logLevelOf({ trace: true, debug: true }),
      logLevelOf({ 'log-level': 'WARNING', debug: true }), logLevelOf({ 'log-level': 'fatal' }),
    ]).toEqual(['info', 'warn', 'debug', 'trace', 'warn', 'error']);
    expect(() => logLevelOf({ 'log-level': 'loud' })).toThrow('--log-level loud: not a level; use one of trace, debug, info, warn, error, fatal, panic');
  });

  it('a flag given twice keeps its last value, as in JuiceFS; list flags (-o, --exclude) keep every value', () => {
    const argv: Record<string, unknown> = { _: ['mount'], 'cache-dir': ['/a', '/b:/c'], cacheDir: ['/a', '/b:/c'], o: ['ro', 'noatime'], exclude: ['x'], 'trash-days': 1 };
    keepLastOfRepeated(argv, ['o', 'exclude']);
    expect(argv).toEqual({ _: ['mount'], 'cache-dir': '/b:/c', cacheDir: '/b:/c', o: ['ro', 'noatime'], exclude: ['x'], 'trash-days': 1 });
    const twice = format('vol-twice', '--no-color', '--trash-days', '3', '--block-size', '1024', '--trash-days', '0', '--block-size', '64');
    const settings = JSON.parse(twice.out) as { TrashDays: number; BlockSize: number };
    expect({ code: twice.code, trash: settings.TrashDays, block: settings.BlockSize }).toEqual({ code: 0, trash: 0, block: 64 });
  });

  it('-q keeps stderr silent on success and leaves the settings on stdout', () => {
    const plain = format('vol-plain', '--no-color');
    const quiet = format('vol-quiet', '-q');
    expect({
      plain: [plain.code, plain.err.trim()],
      quiet: [quiet.code, quiet.err],
      stdout: (JSON.parse(quiet.out) as { Name: string }).Name,
    }).toEqual({ plain: [0, `volume vol-plain formatted in sqlite3://${dir}/vol-plain.db`], quiet: [0, ''], stdout: 'vol-quiet' });
  });

  it('-v (before the command) and --debug (after it) add debug lines; errors still show under -q', () => {
    const verbose = format('vol-verbose', '-v');
    const debugAfter = juicefs('status', `sqlite3://${dir}/vol-verbose.db`, '--debug');
    const failing = juicefs('-q', 'status', `sqlite3://${dir}/missing/none.db`);
    const debugLines = (err: string) => err.split('\n').filter((l) => l.startsWith('juicefs [debug]: '));
    expect({
      verbose: verbose.code === 0 && debugLines(verbose.err).some((l) => l.includes(`checking that file://${dir}/b-vol-verbose/vol-verbose/ is usable`)),
      after: debugAfter.code === 0 && debugLines(debugAfter.err).some((l) => /juicefs \S+ .* on node v\d+/.test(l)),
      failing: [failing.code, failing.err.startsWith('juicefs: ') && failing.err.includes('missing')],
    }).toEqual({ verbose: true, after: true, failing: [1, true] });
  });

  it('--no-agent and --no-color are accepted; --pyroscope warns that it is not supported', () => {
    const r = juicefs('--no-agent', '--pyroscope', 'http://127.0.0.1:4040', 'status', `sqlite3://${dir}/vol-plain.db`, '--no-color');
    expect({ code: r.code, warning: r.err.trim(), name: (JSON.parse(r.out) as { Setting: { Name: string } }).Setting.Name }).toEqual({
      code: 0,
      warning: 'warning: --pyroscope http://127.0.0.1:4040: this client does not push profiles to Pyroscope; profile a mount with node --cpu-prof instead',
      name: 'vol-plain',
    });
  });

  it('--log-id ID (JuiceFS 1.2) tags every stderr line, "random" with a UUID; stdout is untouched', () => {
    const tagged = juicefs('--log-id', 'job-7', '--pyroscope', 'http://127.0.0.1:4040', 'config', `sqlite3://${dir}/vol-plain.db`, '--trash-days', '2');
    const random = juicefs('status', `sqlite3://${dir}/missing/none.db`, '--log-id', 'random');
    const plain = juicefs('status', `sqlite3://${dir}/vol-plain.db`, '--log-id', 'x');
    expect({
      tagged: [tagged.code, tagged.err.split(':')[0], tagged.out],
      random: [random.code, /^\[[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\] juicefs: ENOENT: /.test(random.err)],
      plain: [plain.code, plain.err, (JSON.parse(plain.out) as { Setting: { Name: string } }).Setting.Name],
    }).toEqual({ tagged: [0, '[job-7] warning', 'trash-days: 1 -> 2\n'], random: [1, true], plain: [0, '', 'vol-plain'] });
  });

  it("stderr into a file (a background service's --log, 2>>FILE) gets JuiceFS's time, pid and level on every line", () => {
    const file = path.join(dir, 'stderr.log');
    const fd = fs.openSync(file, 'w');
    const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: repo, stdio: ['ignore', 'pipe', fd], encoding: 'utf8' });
    const warned = run('config', `sqlite3://${dir}/vol-plain.db`, '--trash-days', '3', '--log-id', 'j1');
    const failed = run('status', `sqlite3://${dir}/missing/none.db`);
    fs.closeSync(fd);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    const stamp = '\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{6} juicefs\\[(\\d+)\\] <([A-Z]+)>: ';
    const parsed = lines.map((l) => new RegExp(`^(\\[j1\\] )?${stamp}(.*)$`).exec(l));
    expect({
      codes: [warned.status, failed.status],
      stdout: warned.stdout, // results stay on stdout, unstamped
      every: parsed.every((m) => m !== null),
      levels: parsed.map((m) => m?.[3]),
      pids: parsed.map((m) => Number(m?.[2]) > 0),
      tagged: parsed.map((m) => m?.[1] !== undefined),
      last: parsed.at(-1)?.[4]?.startsWith('juicefs: ENOENT: '),
    }).toEqual({
      codes: [0, 1],
      stdout: 'trash-days: 2 -> 3\n',
      every: true,
      levels: [...lines.slice(0, -1).map(() => 'WARNING'), 'ERROR'],
      pids: lines.map(() => true),
      tagged: [...lines.slice(0, -1).map(() => true), false],
      last: true,
    });
  });

  it('log times are local, to the microsecond, as Go formats them', () => {
    const tz = process.env['TZ'];
    process.env['TZ'] = 'UTC';
    try {
      expect(logTimestamp(Date.UTC(2026, 10, 7, 9, 3, 5) * 1000 + 4567)).toBe('2026/11/07 09:03:05.004567');
      expect(messageOf('[j1] 2026/11/07 09:03:05.004567 juicefs[12] <INFO>: OK, vol is ready')).toBe('OK, vol is ready');
    } finally {
      if (tz === undefined) delete process.env['TZ'];
      else process.env['TZ'] = tz;
    }
  });

  it('an unknown --log-level fails before the command runs', () => {
    const r = format('vol-never', '--log-level=loud');
    expect({ code: r.code, err: r.err.trim(), made: fs.existsSync(path.join(dir, 'vol-never.db')) }).toEqual({
      code: 1, err: 'juicefs: --log-level loud: not a level; use one of trace, debug, info, warn, error, fatal, panic', made: false,
    });
  });
});
