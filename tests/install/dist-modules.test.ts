import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

// The tests run the TypeScript sources as CommonJS; what users run is the built ES modules. Some
// mistakes show only there: a named import that a CommonJS package does not export statically, a
// dependency resolved differently. Every built module of every package is imported here, as ESM
// in a plain node, so each of them at least links and evaluates.

const repo = path.resolve(__dirname, '../..');
const PACKAGES = ['core', 'meta', 'chunk', 'fuse', 'cli'];

const IMPORT_ALL = `
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
const files = [];
// bin/ holds the command itself, which would run on import.
const walk = (d) => { for (const n of readdirSync(d)) { const p = join(d, n); if (statSync(p).isDirectory()) { if (n !== 'bin') walk(p); } else if (n.endsWith('.js')) files.push(p); } };
for (const dir of JSON.parse(process.argv[1])) walk(dir);
const failed = [];
for (const f of files) { try { await import(f); } catch (e) { failed.push(f + ': ' + String(e.message).split('\\n')[0]); } }
console.log(JSON.stringify({ imported: files.length, failed }));
process.exit(0);
`;

it('every built module of every package imports as an ES module in plain node', () => {
  const dists = PACKAGES.map((p) => path.join(repo, 'packages', p, 'dist'));
  for (const d of dists) {
    if (!fs.existsSync(path.join(d, 'index.js'))) throw new Error(`${d} is missing: run bash scripts/build.sh first`);
  }
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', IMPORT_ALL, JSON.stringify(dists)], { encoding: 'utf8', timeout: 60_000 });
  expect(r.stderr).toBe('');
  const result = JSON.parse(r.stdout) as { imported: number; failed: string[] };
  expect(result.failed).toEqual([]);
  expect(result.imported).toBeGreaterThan(300);
});
