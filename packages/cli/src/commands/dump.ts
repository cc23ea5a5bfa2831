import { ROOT_INODE, fsError } from '@juicefs/core';
import type { Ino } from '@juicefs/core';
import { dumpMeta, dumpMetaBinary, engineExtras, loadMeta, loadMetaBinary, readBackup, readCounters } from '@juicefs/meta';
import type { Argv } from 'yargs';
import { openDumpInput, openDumpOutput, peekFirst } from '../dump-file.js';
import { log } from '../log.js';
import { progressBar } from '../progress.js';
import { readFormat, redactUrl } from '../volume.js';
import { withEngine } from '../wiring.js';
import type { EngineStore } from '../wiring.js';

/** Resolve a path inside the volume ("/a/b") to its inode, without permission checks. */
async function resolvePath(store: EngineStore, path: string): Promise<Ino> {
  let ino = ROOT_INODE;
  for (const part of path.split('/').filter((p) => p !== '')) {
    const e = await store.txn((tx) => tx.getEntry(ino, Buffer.from(part)));
    if (!e) throw fsError('ENOENT', `--subdir ${path}: "${part}" does not exist`);
    if (e.type !== 2) throw fsError('ENOTDIR', `--subdir ${path}: "${part}" is not a directory`);
    ino = e.ino;
  }
  return ino;
}

export function dumpCommand(y: Argv): Argv {
  return y.command(
    'dump META-URL [FILE]',
    'Export the metadata as JSON, or with --binary in JuiceFS\'s binary backup format (to FILE, or stdout); a name ending in .gz or .zstd compresses, as JuiceFS does',
    (c) =>
      c
        .positional('META-URL', { type: 'string', demandOption: true, describe: 'metadata engine URL' })
        .positional('FILE', { type: 'string', describe: 'output file (default: stdout)' })
        .option('subdir', { type: 'string', describe: 'dump only this directory of the volume' })
        .option('keep-secret-key', { type: 'boolean', default: false, describe: 'keep the object storage secret in the dump' })
        .option('skip-trash', { type: 'boolean', default: false, describe: 'leave the trash out' })
        .option('binary', {
          type: 'boolean', default: false,
          describe: 'dump in the binary backup format of JuiceFS 1.3 (the whole volume: --subdir and --skip-trash do not apply)',
        })
        .option('threads', {
          type: 'number', default: 10,
          describe: 'with --binary: nodes whose details (chunks, xattrs, symlink) are read at once',
        })
        .option('fast', { type: 'boolean', default: false, describe: 'accepted as JuiceFS has it (it reads the whole tree into memory first); this dump streams either way, same output' }),
    async (a) => {
      const metaUrl = String(a['META-URL']);
      const file = typeof a.FILE === 'string' ? a.FILE : undefined;
      await withEngine(metaUrl, async (store) => {
        await readFormat(store, metaUrl);
        if (a.binary) {
          // As upstream: a binary dump is always of the whole volume, trash included.
          if (a.subdir || a['skip-trash']) log.warn('warning: --subdir and --skip-trash are ignored with --binary (a binary dump holds the whole volume)');
          await dumpBinary(store, file, a['keep-secret-key'], a.threads);
          return;
        }
        const root = a.subdir ? await resolvePath(store, a.subdir) : ROOT_INODE;
        const total = (await readCounters(store)).usedInodes + 1;
        const bar = progressBar('Dumped entries', total, file === undefined);
        const output = await openDumpOutput(file);
        const extras = engineExtras(store);
        const options = {
          root, keepSecretKey: a['keep-secret-key'], skipTrash: a['skip-trash'], onNode: (n: number) => bar.update(n),
          ...(extras ? { extras } : {}),
        };
        let nodes: number;
        try {
          nodes = await dumpMeta(store, output.out, options);
        } catch (err) {
          await output.abort();
          throw err;
        }
        bar.stop();
        await output.commit();
        if (file !== undefined) {
          log.info(`dumped ${nodes} entries to ${file}`);
        }
      });
    },
  );
}

async function dumpBinary(store: EngineStore, file: string | undefined, keepSecretKey: boolean, requested: number): Promise<void> {
  let threads = Math.floor(requested);
  if (!(threads >= 1)) {
    log.warn(`warning: invalid threads number ${requested}, reset to 1`); // as upstream does
    threads = 1;
  }
  const total = (await readCounters(store)).usedInodes + 1;
  const bar = progressBar('Dumped nodes', total, file === undefined);
  const output = await openDumpOutput(file);
  const extras = engineExtras(store);
  let done = 0;
  let nodes: number;
  try {
    nodes = await dumpMetaBinary(store, output.out, {
      keepSecretKey,
      threads,
      onSegment: (name, items) => { if (name === 'node') bar.update((done += items)); },
      ...(extras ? { extras } : {}),
    });
  } catch (err) {
    await output.abort();
    throw err;
  }
  bar.stop();
  await output.commit();
  if (file !== undefined) log.info(`dumped ${nodes} nodes in binary format to ${file}`);
  // Upstream's binary format has quotas per directory only (its Quota message has no uid/gid).
  let owners = 0;
  for (const kind of ['user', 'group'] as const) {
    owners += ((await extras?.listUserGroupQuotas(kind)) ?? []).filter((q) => !(q.limits.maxSpace === -1 && q.limits.maxInodes === -1)).length;
  }
  if (owners > 0) {
    log.warn(`warning: ${owners} user/group quotas are not in the dump: the binary format has no place for them (a JSON dump keeps them)`);
  }
}

/**
 * The input with its first bytes looked at: a binary dump (it opens with the format segment's
 * type, 00 00 00 01) given to the JSON loader, or the reverse, gets a clear message.
 */
async function peekKind(input: AsyncIterable<Buffer | string>): Promise<{ binary: boolean; input: AsyncIterable<Buffer | string> }> {
  const { head, all } = await peekFirst(input);
  return { binary: head.length >= 4 && head.readUInt32BE(0) === 1, input: all };
}

export function loadCommand(y: Argv): Argv {
  return y.command(
    'load META-URL [FILE]',
    'Import a dump, JSON or with --binary binary (from FILE, or stdin; gzip and Zstandard are decompressed), into an empty metadata engine',
    (c) =>
      c
        .positional('META-URL', { type: 'string', demandOption: true, describe: 'metadata engine URL (must be empty)' })
        .positional('FILE', { type: 'string', describe: 'dump file (default: stdin)' })
        .option('binary', { type: 'boolean', default: false, describe: 'the file is a binary dump (juicefs dump --binary)' })
        .option('threads', {
          type: 'number', default: 10,
          describe: 'accepted as JuiceFS has it; this load writes with one writer',
        })
        .option('stat', { type: 'boolean', default: false, describe: 'with --binary: show what the binary dump holds (segments and item counts) instead of loading it; give the file as the first argument' }),
    async (a) => {
      if (a.stat) {
        // As JuiceFS: `load FILE --binary --stat` reads the dump, not an engine.
        if (!a.binary) throw fsError('EINVAL', '--stat describes a binary dump: add --binary (juicefs load FILE --binary --stat)');
        await statBinaryDump(String(a['META-URL']));
        return;
      }
      const metaUrl = String(a['META-URL']);
      const file = typeof a.FILE === 'string' ? a.FILE : undefined;
      const peeked = await peekKind(await openDumpInput(file));
      const name = file ?? 'stdin';
      if (peeked.binary && !a.binary) throw fsError('EINVAL', `${name} is a binary dump: load it with --binary`);
      const input = peeked.input;
      await withEngine(metaUrl, async (store) => {
        const bar = progressBar('Loaded entries', 1);
        const extras = engineExtras(store);
        const options = { onNode: (d: number, t: number) => bar.update(d, t), ...(extras ? { extras } : {}) };
        const result = a.binary ? await loadMetaBinary(store, input, { ...options, source: name }) : await loadMeta(store, input, options);
        bar.stop();
        log.info(`loaded ${result.nodes} entries into ${redactUrl(metaUrl)}`);
        if (result.skipped.length > 0) {
          log.warn(`warning: not restored (this engine does not store them through load yet): ${result.skipped.join(', ')}`);
        }
        // As JuiceFS: a dump made without --keep-secret-key leaves a volume whose storage cannot be opened until told.
        if ((await readFormat(store, metaUrl)).SecretKey === 'removed') {
          log.warn(`warning: the secret key was removed from the dump: set it with juicefs config ${redactUrl(metaUrl)} --secret-key KEY`);
        }
      }, { create: true });
    },
  );
}

/**
 * `juicefs load FILE --binary --stat`, as JuiceFS's showBakSummary prints it: the backup version,
 * then each segment kind with its item count, by name.
 */
async function statBinaryDump(file: string): Promise<void> {
  const segments = readBackup(await openDumpInput(file), file);
  let next = await segments.next();
  while (next.done !== true) next = await segments.next();
  const footer = next.value;
  const rows = [...footer.infos.entries()].map(([name, info]) => [name, String(info.num)] as const).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  const pad = (t: string) => t.padEnd(10);
  let out = `Backup Version: ${footer.version}\n${'-'.repeat(23)}\n${pad('Name')}| ${pad('Num')}\n${'-'.repeat(23)}\n`;
  for (const [name, num] of rows) out += `${pad(name)}| ${pad(num)}|\n`;
  process.stdout.write(out);
}
