#!/usr/bin/env node
/**
 * The import rules of src-main/ (issue 9): a folder imports only from folders
 * below it, and no chain of imports comes back to where it started. Reads
 * every relative `import`/`export ... from` (type-only ones too) of the
 * sources; prints each violation and exits 1, or prints a one-line summary.
 *
 *   node scripts/check-layers.mjs [ROOT]     (ROOT: src-main by default)
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Lower number = lower floor. Same floor, different folder (web, electron): parallel, no imports between. */
export const FLOORS = {
  contract: 0,
  shared: 1,
  store: 2,
  ingest: 3,
  // The grapheme renderer: uses ingest's preprocessing; the trainer (pretraining) uses it.
  synth: 3.5,
  train: 4,
  export: 5,
  service: 6,
  web: 7,
  electron: 7,
  cli: 8,
};

const SPEC = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*\(?\s*['"]([^'"]+)['"]/g;

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(c?ts)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

function resolveImport(from, spec) {
  const base = resolve(dirname(from), spec);
  for (const c of [base.replace(/\.js$/, '.ts'), base.replace(/\.cjs$/, '.cts'), `${base}.ts`, join(base, 'index.ts')])
    if (existsSync(c) && statSync(c).isFile()) return c;
  return null;
}

/** The violations under `root` (src-main): wrong-way imports and import cycles, as sentences. */
export function checkLayers(root) {
  const files = sources(root);
  const graph = new Map();
  const problems = [];
  const folderOf = (file) => relative(root, file).split(/[\\/]/)[0];
  for (const file of files) {
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, '');
    const deps = [];
    for (const m of text.matchAll(SPEC)) {
      const spec = m[1] ?? m[2];
      if (!spec.startsWith('.')) continue;
      const target = resolveImport(file, spec);
      if (!target) {
        problems.push(`${relative(root, file)}: import ${spec} resolves to no source file`);
        continue;
      }
      deps.push(target);
      const [a, b] = [folderOf(file), folderOf(target)];
      if (a === b) continue;
      const [fa, fb] = [FLOORS[a], FLOORS[b]];
      if (fa === undefined || fb === undefined)
        problems.push(`${relative(root, file)}: folder ${fa === undefined ? a : b} has no floor in FLOORS`);
      else if (fb >= fa)
        problems.push(`${relative(root, file)} imports ${relative(root, target)}: ${a}/ may not import ${b}/`);
    }
    graph.set(file, deps);
  }
  // Cycles: depth-first search, reporting each back edge's loop once.
  const state = new Map();
  const stack = [];
  const seen = new Set();
  const visit = (file) => {
    state.set(file, 'open');
    stack.push(file);
    for (const dep of graph.get(file) ?? []) {
      if (state.get(dep) === 'open') {
        const loop = [...stack.slice(stack.indexOf(dep)), dep].map((f) => relative(root, f));
        const key = [...loop.slice(0, -1)].sort().join('|');
        if (!seen.has(key)) {
          problems.push(`import cycle: ${loop.join(' -> ')}`);
          seen.add(key);
        }
      } else if (!state.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of files) if (!state.has(file)) visit(file);
  return { files: files.length, imports: [...graph.values()].reduce((n, d) => n + d.length, 0), problems };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'src-main'));
  const { files, imports, problems } = checkLayers(root);
  for (const p of problems) console.error(p);
  if (problems.length) process.exit(1);
  console.log(
    `${relative(process.cwd(), root) || '.'}: ${files} files, ${imports} relative imports, no wrong-way import, no cycle`,
  );
}
