import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseTrashName } from '../src/control/restore.js';
import { juicefs, mustFormat, openVolume, pattern } from './tools-volume.js';

// juicefs restore against a real SQLite volume with file storage: remove a tree and a file into
// the trash through the VFS, then rebuild and put back with the command, as a user runs it.

let dir: string;
let meta: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jfs-restore-'));
  meta = `sqlite3://${dir}/meta.db`;
  mustFormat(meta, 'restore-vol', path.join(dir, 'bucket'), '--trash-days', '1');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Names of the root that are not the mount's internal files (.trash, .stats, .config…). */
const visible = (names: string[]): string[] => names.filter((n) => !n.startsWith('.'));

/** The trash hours (usually one; two when the removal crossed an hour). */
async function hoursInTrash(): Promise<string[]> {
  const v = await openVolume(meta);
  try {
    return (await v.fs.readdir('/.trash')).sort();
  } finally {
    await v.close();
  }
}

test('rebuilds removed trees inside the trash, then --put-back moves everything back with its data', async () => {
  const v = await openVolume(meta);
  try {
    await v.fs.mkdir('/d');
    await v.fs.mkdir('/d/sub');
    await v.fs.writeFile('/d/sub/f', pattern(70_000, 1));
    await v.fs.writeFile('/d/g', pattern(1000, 2));
    await v.fs.writeFile('/x', pattern(3000, 3));
    await v.fs.rm('/d', { recursive: true });
    await v.fs.unlink('/x');
    expect(visible(await v.fs.readdir('/'))).toEqual([]);
  } finally {
    await v.close();
  }
  const hours = await hoursInTrash();
  expect(hours.length).toBeGreaterThanOrEqual(1);

  // Without HOUR: the hours, with how many entries each holds.
  const list = juicefs('restore', meta);
  expect(list.code).toBe(0);
  for (const h of hours) expect(list.out).toContain(h);
  expect(list.out).toMatch(/hour \(UTC\)\s+\|?\s*entries/);

  // Without --put-back: sub, f and g go back into their (trashed) directories; d and x stay.
  const rebuilt = juicefs('restore', meta, ...hours);
  expect(rebuilt.err).toBe('');
  expect(rebuilt.code).toBe(0);
  if (hours.length === 1) {
    expect(rebuilt.out).toContain(`${hours[0]}: restored 3 of 5 entries, skipped 2, failed 0`);
    expect(rebuilt.out).toMatch(new RegExp(`restored 2 entries to /\\.trash/${hours[0]}/1-\\d+-d\n`));
    // sub's path as it is once restored: back inside d, found through its parent, as JuiceFS's
    // GetPaths finds paths.
    expect(rebuilt.out).toMatch(new RegExp(`restored 1 entry to /\\.trash/${hours[0]}/1-\\d+-d/sub\n`));
  }
  expect(rebuilt.out).toContain('add --put-back to move them back too');
  const w = await openVolume(meta);
  try {
    const trashed = (await Promise.all(hours.map(async (h) => (await w.fs.readdir(`/.trash/${h}`)).map((n) => `${h}/${n}`)))).flat();
    const d = trashed.find((n) => n.endsWith('-d'));
    expect(d).toBeDefined();
    expect((await w.fs.readdir(`/.trash/${d}`)).sort()).toEqual(['g', 'sub']);
    expect((await w.fs.readFile(`/.trash/${d}/sub/f`)).equals(pattern(70_000, 1))).toBe(true);
    expect(visible(await w.fs.readdir('/'))).toEqual([]);
  } finally {
    await w.close();
  }

  // --put-back: d (with its tree) and x return to the root.
  const back = juicefs('restore', meta, ...hours, '--put-back');
  expect(back.code).toBe(0);
  if (hours.length === 1) expect(back.out).toContain(`${hours[0]}: restored 2 of 2 entries, skipped 0, failed 0\n  restored 2 entries to /\n`);
  const r = await openVolume(meta);
  try {
    expect(visible(await r.fs.readdir('/')).sort()).toEqual(['d', 'x']);
    expect((await r.fs.readFile('/d/sub/f')).equals(pattern(70_000, 1))).toBe(true);
    expect((await r.fs.readFile('/d/g')).equals(pattern(1000, 2))).toBe(true);
    expect((await r.fs.readFile('/x')).equals(pattern(3000, 3))).toBe(true);
    expect((await r.fs.stat('/d')).nlink).toBe(3);
    for (const h of hours) expect(await r.fs.readdir(`/.trash/${h}`)).toEqual([]);
  } finally {
    await r.close();
  }
});

test('a name taken since the removal is not overwritten: the entry stays in the trash and the command fails saying why', async () => {
  const v = await openVolume(meta);
  try {
    await v.fs.writeFile('/f', pattern(100, 1));
    await v.fs.unlink('/f');
    await v.fs.writeFile('/f', pattern(200, 2));
  } finally {
    await v.close();
  }
  const hours = await hoursInTrash();
  const r = juicefs('restore', meta, ...hours, '--put-back');
  expect(r.code).toBe(1);
  expect(r.err).toMatch(/cannot restore 1-\d+-f: .*already exists/);
  expect(r.err).toMatch(/1 entry could not be restored and stayed in the trash/);
  const w = await openVolume(meta);
  try {
    expect((await w.fs.readFile('/f')).equals(pattern(200, 2))).toBe(true);
    const left = (await Promise.all(hours.map((h) => w.fs.readdir(`/.trash/${h}`)))).flat();
    expect(left).toHaveLength(1);
  } finally {
    await w.close();
  }
});

test('a malformed or unknown hour is refused with the form it takes', async () => {
  const bad = juicefs('restore', meta, '2024-1-1');
  expect(bad.code).toBe(1);
  expect(bad.err).toMatch(/"2024-1-1" is not a trash hour: name one as YYYY-MM-DD-HH/);
  const none = juicefs('restore', meta, '2001-01-01-00');
  expect(none.code).toBe(1);
  expect(none.err).toMatch(/the trash has no hour 2001-01-01-00/);
  const empty = juicefs('restore', meta);
  expect(empty.code).toBe(0);
  expect(empty.out).toContain('the trash of restore-vol is empty');
});

test('trash names split at the first two dashes only: the original name may hold dashes of its own', () => {
  expect(parseTrashName(Buffer.from('1-42-my-file-v2.txt'))).toEqual({ parent: 1n, ino: 42n, name: Buffer.from('my-file-v2.txt') });
  expect(parseTrashName(Buffer.from('9223372036854775807-3-x'))?.parent).toBe(9223372036854775807n);
  for (const bad of ['notes', '1-2-', '1--x', '-2-x', 'a-2-x', '1-b-x']) expect(parseTrashName(Buffer.from(bad))).toBeUndefined();
});
