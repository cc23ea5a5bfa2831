#!/usr/bin/env node
// The layering rule, as a check that fails the build: meta, chunk and fuse are independent
// implementations of contracts in @juicefs/core, so each may import only @juicefs/core; core imports
// no other workspace package; only the cli wires implementations together. Checks source imports
// (static, dynamic, require, export-from) and package.json dependency lists.
// Exit 1 with one line per violation naming the file and the import.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Which workspace packages each package may import; packages not listed are unrestricted. */
const allowed = {
  core: new Set(['@juicefs/core']),
  meta: new Set(['@juicefs/core']),
  chunk: new Set(['@juicefs/core']),
  fuse: new Set(['@juicefs/core']),
};
const sourceDirs = ['src', 'test', 'bench'];
const sourceExt = /\.(m|c)?(t|j)sx?$/;
// import x from '...', export * from '...', import '...', import('...'), require('...'), jest.mock('...')
const specifierRe =
  /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*|\bjest\.(?:mock|requireActual)\s*\(\s*)(['"])([^'"\n]+)\1/g;

/** The workspace package a specifier names ('@juicefs/meta/sub' -> '@juicefs/meta'), or null. */
function workspacePackage(spec) {
  const m = /^(@juicefs\/[^/]+)/.exec(spec);
  return m ? m[1] : null;
}

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (sourceExt.test(name)) yield p;
  }
}

const violations = [];
for (const [pkg, ok] of Object.entries(allowed)) {
  const pkgDir = join(root, 'packages', pkg);
  if (!existsSync(pkgDir)) continue;
  const manifestPath = join(pkgDir, 'package.json');
  if (existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const dep of Object.keys(manifest[field] ?? {})) {
        const ws = workspacePackage(dep);
        if (ws && !ok.has(ws) && ws !== `@juicefs/${pkg}`) {
          violations.push(`${relative(root, manifestPath)}: ${field} lists ${dep}; @juicefs/${pkg} may depend only on @juicefs/core`);
        }
      }
    }
  }
  for (const sub of sourceDirs) {
    const dir = join(pkgDir, sub);
    if (!existsSync(dir)) continue;
    for (const file of walk(dir)) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(specifierRe)) {
        const spec = m[2];
        const ws = workspacePackage(spec);
        if (ws && !ok.has(ws) && ws !== `@juicefs/${pkg}`) {
          const line = text.slice(0, m.index).split('\n').length;
          violations.push(`${relative(root, file)}:${line}: imports '${spec}'; @juicefs/${pkg} may import only @juicefs/core (wire implementations together in packages/cli/src/wiring.ts)`);
        }
        // Relative imports that climb into another package bypass the rule the same way.
        if (spec.startsWith('.')) {
          const target = relative(join(root, 'packages'), join(dirname(file), spec));
          const top = target.split(/[\\/]/)[0];
          if (top && top !== '..' && top !== pkg && !ok.has(`@juicefs/${top}`)) {
            const line = text.slice(0, m.index).split('\n').length;
            violations.push(`${relative(root, file)}:${line}: imports '${spec}' from packages/${top} by relative path; use @juicefs/core contracts instead`);
          }
        }
      }
    }
  }
}

if (violations.length > 0) {
  console.error(`layering check failed (${violations.length}):`);
  for (const v of violations) console.error(`  ${v}`);
  process.exit(1);
}
console.log('layering check passed: meta, chunk and fuse import only @juicefs/core; core imports no other workspace package');
