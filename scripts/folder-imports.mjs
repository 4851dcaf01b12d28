#!/usr/bin/env node
// Lists the imports between the folders of src/ (one line per folder pair, with
// how many files import across it) and any cycle among them. Exit 1 on a cycle.
//   node scripts/folder-imports.mjs [--json]
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const IMPORT = /(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/gm;

/** The top-level folder of src/ a file is in (`cli` for src/cli/commands/x.ts). */
function folderOf(file) {
  return relative(SRC, file).split(sep)[0];
}

/** folder → folder → files of the first that import the second. */
export function folderImports(src = SRC) {
  const edges = new Map();
  for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = join(entry.parentPath, entry.name);
    const from = folderOf(file);
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const to = folderOf(resolve(dirname(file), m[1] ?? m[2]));
      if (to === from || to.startsWith('..')) continue;
      if (!edges.has(from)) edges.set(from, new Map());
      const files = edges.get(from).get(to) ?? new Set();
      files.add(relative(src, file));
      edges.get(from).set(to, files);
    }
  }
  return edges;
}

/** Strongly connected components with more than one folder: each is a cycle. */
export function folderCycles(edges) {
  const nodes = new Set([...edges.keys(), ...[...edges.values()].flatMap((m) => [...m.keys()])]);
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const out = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of [...nodes].sort()) if (!idx.has(v)) visit(v);
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const edges = folderImports();
  const cycles = folderCycles(edges);
  if (process.argv.includes('--json')) {
    const json = Object.fromEntries(
      [...edges]
        .sort()
        .map(([f, m]) => [f, Object.fromEntries([...m].sort().map(([t, files]) => [t, [...files].sort()]))]),
    );
    process.stdout.write(`${JSON.stringify({ imports: json, cycles }, null, 2)}\n`);
  } else {
    for (const [from, m] of [...edges].sort())
      for (const [to, files] of [...m].sort())
        process.stdout.write(`${from} -> ${to} (${files.size} file${files.size === 1 ? '' : 's'})\n`);
    process.stdout.write(
      cycles.length ? cycles.map((c) => `cycle: ${c.join(' <-> ')}\n`).join('') : 'no cycles between src/ folders\n',
    );
  }
  process.exitCode = cycles.length ? 1 : 0;
}
