import { StringDecoder } from 'node:string_decoder';
import { ROOT_INODE, TRASH_INODE, fsError } from '@juicefs/core';
import type { Ino, NodeType } from '@juicefs/core';
import { parseJsonLossless } from './json-parse.js';
import type { ParsedJson, ParsedObject } from './json-parse.js';
import { asObject } from './model.js';

/**
 * Called once per appearance of a node, with its own members (everything but `entries`), where
 * it hangs (`parent` and the raw escaped `name`; none for the two roots) and, for the roots, the
 * inode it must get. Returns the node's inode and type, which its children need.
 */
export type NodeVisitor = (
  members: ParsedObject,
  where: string,
  parent: Ino | undefined,
  name: string | undefined,
  forceIno?: Ino,
) => { ino: Ino; type: NodeType };

export type DumpInput = string | AsyncIterable<string | Buffer>;

/**
 * Read a dump, handing every node to `visit` in document order, and return the top-level members
 * before the trees (Setting, Counters, DelFiles, quotas…). A stream in the layout `juicefs dump`
 * writes (one member per line, FORMAT.md 8.1) is read line by line, so a dump never has to fit in
 * one string; anything else (minified, re-indented) is parsed whole.
 */
export async function readDump(input: DumpInput, visit: NodeVisitor): Promise<ParsedObject> {
  if (typeof input === 'string') return walkParsed(asObject(parseJsonLossless(input), 'the dump'), visit);
  const lines = splitLines(input);
  const head: string[] = [];
  for (;;) {
    const next = await lines.next();
    if (next.done) return walkParsed(asObject(parseJsonLossless(head.join('\n')), 'the dump'), visit);
    const line = next.value;
    const root = line === '  "FSTree": {' ? 'FSTree' : line === '  "Trash": {' ? 'Trash' : undefined;
    if (root !== undefined && head[0] === '{') {
      const header = asObject(parseJsonLossless(`${head.join('\n').replace(/,\s*$/, '')}\n}`), 'the dump header');
      await streamTrees(root, lines, visit);
      return header;
    }
    head.push(line);
  }
}

function walkParsed(doc: ParsedObject, visit: NodeVisitor): ParsedObject {
  const walk = (v: ParsedJson | undefined, where: string, parent: Ino | undefined, name: string | undefined, forceIno?: Ino) => {
    const o = asObject(v, where);
    const { entries, ...members } = o;
    const self = visit(members, where, parent, name, forceIno);
    if (self.type === 2 && entries !== undefined && entries !== null) {
      for (const [childName, child] of Object.entries(asObject(entries, `${where}.entries`))) {
        walk(child, `${where}/${childName}`, self.ino, childName);
      }
    }
  };
  walk(doc['FSTree'], 'FSTree', undefined, undefined, ROOT_INODE);
  if (doc['Trash'] !== undefined && doc['Trash'] !== null) walk(doc['Trash'], 'Trash', undefined, undefined, TRASH_INODE);
  return doc;
}

interface Frame {
  where: string;
  name: string | undefined;
  parent: Ino | undefined;
  forceIno: Ino | undefined;
  members: ParsedObject;
  self?: { ino: Ino; type: NodeType };
  /** 0: members, 1: inside "entries", 2: entries closed. */
  entries: 0 | 1 | 2;
}

async function streamTrees(first: string, lines: AsyncIterator<string>, visit: NodeVisitor): Promise<void> {
  const stack: Frame[] = [];
  let lineNo = 0;
  const fail = (what: string, line: string): never => {
    throw fsError('EINVAL', `invalid dump: ${what} in the tree, at "${line.trim().slice(0, 80)}" (tree line ${lineNo}); is this a file written by juicefs dump?`);
  };
  const open = (name: string | undefined, where: string, parent: Ino | undefined, forceIno?: Ino) =>
    stack.push({ where, name, parent, forceIno, members: Object.create(null) as ParsedObject, entries: 0 });
  const register = (f: Frame) => {
    f.self ??= visit(f.members, f.where, f.parent, f.name, f.forceIno);
    return f.self;
  };
  open(undefined, first, undefined, first === 'FSTree' ? ROOT_INODE : TRASH_INODE);
  let chunkLines: string[] | undefined;
  for (;;) {
    const next = await lines.next();
    if (next.done) {
      if (stack.length > 0) fail('the file ends inside a node', '');
      return;
    }
    lineNo++;
    const line = next.value;
    const t = line.trim();
    if (stack.length === 0) {
      if (t === '"Trash": {') { open(undefined, 'Trash', undefined, TRASH_INODE); continue; }
      if (t === '}' || t === '') continue;
      fail('unexpected text after the trees', line);
    }
    const top = stack[stack.length - 1]!;
    if (chunkLines) {
      if (t === ']' || t === '],') {
        top.members['chunks'] = parseJsonLossless(`[${chunkLines.join('')}]`);
        chunkLines = undefined;
      } else chunkLines.push(t);
      continue;
    }
    if (t === '}' || t === '},') {
      if (top.entries === 1) { top.entries = 2; continue; }
      register(top);
      stack.pop();
      continue;
    }
    if (t.endsWith('": {')) {
      const key = t.slice(1, -4);
      if (top.entries === 0) {
        if (key !== 'entries') fail(`unexpected member "${key}"`, line);
        top.entries = 1;
        register(top);
        continue;
      }
      if (top.entries === 2) fail('a child after "entries" closed', line);
      const parent = register(top);
      open(key, `${top.where}/${key}`, parent.ino);
      continue;
    }
    if (t === '"chunks": [') { chunkLines = []; continue; }
    const colon = t.indexOf('": ');
    if (!t.startsWith('"') || colon < 0) fail('expected a member', line);
    top.members[t.slice(1, colon)] = parseJsonLossless(t.slice(colon + 3).replace(/,$/, ''));
  }
}

/** The lines of a text stream (UTF-8 decoded across chunk boundaries). */
async function* splitLines(source: AsyncIterable<string | Buffer>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  for await (const chunk of source) {
    const parts = (carry + (typeof chunk === 'string' ? chunk : decoder.write(chunk))).split('\n');
    carry = parts.pop() ?? '';
    yield* parts;
  }
  carry += decoder.end();
  if (carry !== '') yield carry;
}
