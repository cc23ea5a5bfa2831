// The WebDAV server's small pieces on their own: the XML reader, the lock manager's timeouts and
// conflicts, and the parsing of Range, Timeout and If headers.
import { parseRange } from '../src/webdav/get.js';
import { LockManager, MAX_LOCK_SECONDS, parseTimeout, submittedTokens } from '../src/webdav/locks.js';
import { parseXml, XmlError } from '../src/webdav/xml.js';

describe('XML reader', () => {
  test('resolves prefixes and default namespaces, keeps raw inner XML and decodes text', () => {
    const root = parseXml('<?xml version="1.0"?><!-- c --><D:a xmlns:D="DAV:" xmlns="urn:x"><b x="1">t &amp; &#65;<![CDATA[<raw>]]></b><D:c/></D:a>');
    expect([root.ns, root.local]).toEqual(['DAV:', 'a']);
    expect(root.children.map((c) => [c.ns, c.local])).toEqual([['urn:x', 'b'], ['DAV:', 'c']]);
    expect(root.children[0]!.text).toBe('t & A<raw>');
    expect(root.children[0]!.attrs.get('x')).toBe('1');
    expect(root.raw).toBe('<b x="1">t &amp; &#65;<![CDATA[<raw>]]></b><D:c/>');
  });

  test.each([
    ['<a><b></a>', 'mismatched tags'],
    ['<a>', 'unclosed'],
    ['<x:a/>', 'undeclared prefix'],
    ['<a xmlns:p=""/>', 'empty prefixed namespace'],
    ['<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>', 'a DTD'],
    ['<a/><b/>', 'two roots'],
    ['<a>&bogus;</a>', 'an unknown entity'],
  ])('%s is refused (%s)', (xml) => {
    expect(() => parseXml(xml)).toThrow(XmlError);
  });
});

describe('locks', () => {
  test('a lock ends when its timeout passes; refresh extends it', () => {
    let now = 0;
    const m = new LockManager(() => now);
    const made = m.create('/f', 0, '', 10);
    if (!('lock' in made)) throw new Error('expected a lock');
    expect(m.blocking('/f', new Set(), false)?.token).toBe(made.lock.token);
    now = 9_000;
    expect(m.refresh('/f', new Set([made.lock.token]), 10)?.expires).toBe(19_000);
    now = 18_000;
    expect(m.size).toBe(1);
    now = 19_000;
    expect(m.size).toBe(0);
    expect(m.blocking('/f', new Set(), false)).toBeUndefined();
  });

  test('depth infinity covers what is below; a lock below blocks an infinite lock above; removeUnder forgets them', () => {
    const m = new LockManager(() => 0);
    expect('lock' in m.create('/d', 'infinity', '', 60)).toBe(true);
    expect(m.blocking('/d/x/y', new Set(), false)).toBeDefined();
    expect(m.blocking('/dx', new Set(), false)).toBeUndefined();
    expect('conflict' in m.create('/d/x', 0, '', 60)).toBe(true);
    expect('lock' in m.create('/e/inner', 0, '', 60)).toBe(true);
    expect('conflict' in m.create('/e', 'infinity', '', 60)).toBe(true);
    expect('lock' in m.create('/e', 0, '', 60)).toBe(true);
    m.removeUnder('/e');
    expect(m.size).toBe(1);
  });

  test('Timeout and If headers', () => {
    expect(parseTimeout(undefined)).toBe(3600);
    expect(parseTimeout('Second-30')).toBe(30);
    expect(parseTimeout('Infinite, Second-5')).toBe(MAX_LOCK_SECONDS);
    expect(parseTimeout('Second-99999999')).toBe(MAX_LOCK_SECONDS);
    expect([...submittedTokens('<http://h/a> (<urn:uuid:1> ["etag"]) (Not <urn:uuid:2>)')]).toEqual(['urn:uuid:1', 'urn:uuid:2']);
  });
});

test('Range header', () => {
  expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
  expect(parseRange('bytes=90-200', 100)).toEqual({ start: 90, end: 99 });
  expect(parseRange('bytes=-20', 100)).toEqual({ start: 80, end: 99 });
  expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
  expect(parseRange('bytes=0-1,5-6', 100)).toBeUndefined();
  expect(parseRange('items=0-1', 100)).toBeUndefined();
});
