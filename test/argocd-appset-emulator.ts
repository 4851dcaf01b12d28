import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { parse } from 'yaml';

/**
 * What Argo CD's ApplicationSet controller does with our ApplicationSets, in
 * the subset our templates use, so tests can look at the Applications it
 * would generate:
 *
 * - the git files generator: files matching the pattern, their JSON as
 *   parameters, and its own `path` object replacing any top-level `path` key
 *   (applicationset/generators/git.go, goTemplate mode);
 * - Go's text/template with `missingkey=error`: actions `{{ pipeline }}`,
 *   `{{ if }}`/`{{ else }}`/`{{ end }}`, trim markers, fields `.a.b`, string
 *   and bool constants, pipes, and the functions `toJson` (Sprig: Go's
 *   json.Marshal) and `printf` (%s, %v);
 * - every string of `template` rendered on its own, then `templatePatch`
 *   rendered, parsed as YAML and applied as a strategic merge patch (maps
 *   merge, null deletes, lists replace: the Application type has no merge keys).
 */

type Json = any;

export class TemplateError extends Error {}

// ---------------------------------------------------------------- Go templates

type Node = { text: string } | { action: string } | { if: string; then: Node[]; else: Node[] };

function lex(template: string): ({ text: string } | { action: string })[] {
  const out: ({ text: string } | { action: string })[] = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{{', i);
    if (open === -1) {
      out.push({ text: template.slice(i) });
      break;
    }
    let text = template.slice(i, open);
    let start = open + 2;
    if (template.startsWith('- ', start)) {
      text = text.replace(/\s+$/, '');
      start += 2;
    }
    // Find the closing braces outside string constants.
    let j = start;
    let inString = false;
    for (; j < template.length; j++) {
      const c = template[j];
      if (inString) {
        if (c === '\\') j++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (template.startsWith('}}', j)) break;
    }
    if (j >= template.length) throw new TemplateError(`unclosed action at ${open}`);
    let body = template.slice(start, j);
    let next = j + 2;
    if (body.endsWith(' -')) {
      body = body.slice(0, -2);
      const rest = template.slice(next);
      next += rest.length - rest.replace(/^\s+/, '').length;
    }
    out.push({ text });
    out.push({ action: body.trim() });
    i = next;
  }
  return out.filter((t) => !('text' in t) || t.text !== '');
}

function parseNodes(tokens: ({ text: string } | { action: string })[]): Node[] {
  let pos = 0;
  const block = (terminators: string[]): { nodes: Node[]; end: string } => {
    const nodes: Node[] = [];
    while (pos < tokens.length) {
      const t = tokens[pos++]!;
      if ('text' in t) {
        nodes.push(t);
        continue;
      }
      if (terminators.includes(t.action)) return { nodes, end: t.action };
      if (t.action.startsWith('if ')) {
        const then = block(['else', 'end']);
        const otherwise = then.end === 'else' ? block(['end']).nodes : [];
        nodes.push({ if: t.action.slice(3).trim(), then: then.nodes, else: otherwise });
        continue;
      }
      if (t.action === 'else' || t.action === 'end') throw new TemplateError(`unexpected {{${t.action}}}`);
      nodes.push(t);
    }
    if (terminators.length) throw new TemplateError(`missing {{${terminators.join('|')}}}`);
    return { nodes, end: '' };
  };
  return block([]).nodes;
}

function words(command: string): string[] {
  const out: string[] = [];
  const re = /"(?:[^"\\]|\\.)*"|[^\s]+/g;
  for (const m of command.matchAll(re)) out.push(m[0]);
  return out;
}

function field(data: Json, path: string): Json {
  let v = data;
  for (const key of path.split('.').filter(Boolean)) {
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      throw new TemplateError(`can't evaluate field ${key} in ${JSON.stringify(v)}`);
    if (!(key in v)) throw new TemplateError(`map has no entry for key "${key}" (missingkey=error)`);
    v = v[key];
  }
  return v;
}

function operand(word: string, data: Json): Json {
  if (word.startsWith('"')) return JSON.parse(word);
  if (word === 'true' || word === 'false') return word === 'true';
  if (word.startsWith('.')) return field(data, word);
  throw new TemplateError(`unsupported operand ${word}`);
}

/** Go's json.Marshal: HTML-safe escapes of <, > and &. */
function goJson(v: Json): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

const FUNCTIONS: Record<string, (...args: Json[]) => Json> = {
  toJson: (v) => goJson(v),
  printf: (format: string, ...args: Json[]) => {
    let i = 0;
    return format.replace(/%[sv%]/g, (m) => (m === '%%' ? '%' : String(args[i++])));
  },
};

function pipeline(text: string, data: Json): Json {
  let value: Json;
  let first = true;
  for (const command of text.split('|').map((c) => c.trim())) {
    const [head, ...rest] = words(command);
    if (head === undefined) throw new TemplateError('empty command');
    const fn = FUNCTIONS[head];
    if (fn) {
      const args = rest.map((w) => operand(w, data));
      value = first ? fn(...args) : fn(...args, value);
    } else {
      if (!first || rest.length) throw new TemplateError(`unknown function ${head}`);
      value = operand(head, data);
    }
    first = false;
  }
  return value;
}

function truthy(v: Json): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function printValue(v: Json): string {
  if (v === null || v === undefined) return '<no value>';
  if (typeof v === 'object') throw new TemplateError('printing a map or list is not what our templates do');
  return String(v);
}

/** Renders a Go template (the subset above) with `missingkey=error`. */
export function renderGoTemplate(template: string, data: Json): string {
  const run = (nodes: Node[]): string =>
    nodes
      .map((n) => {
        if ('text' in n) return n.text;
        if ('if' in n) return run(truthy(pipeline(n.if, data)) ? n.then : n.else);
        return printValue(pipeline(n.action, data));
      })
      .join('');
  return run(parseNodes(lex(template)));
}

// ------------------------------------------------------ ApplicationSet behaviour

function renderStrings(value: Json, params: Json): Json {
  if (typeof value === 'string') return value.includes('{{') ? renderGoTemplate(value, params) : value;
  if (Array.isArray(value)) return value.map((v) => renderStrings(v, params));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [renderStrings(k, params), renderStrings(v, params)]),
    );
  return value;
}

/** Strategic merge patch of a type without merge keys: maps merge, null deletes, everything else replaces. */
export function strategicMerge(original: Json, patch: Json): Json {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Json = original && typeof original === 'object' && !Array.isArray(original) ? { ...original } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = strategicMerge(out[k], v);
  }
  return out;
}

/**
 * Pattern of a git files generator as a regular expression;
 * `greedy` is the default globbing, where `*` also matches `/`.
 */
export function filesPattern(pattern: string, greedy: boolean): RegExp {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*\*/g, '\u0000')
    .replace(/\*/g, greedy ? '.*' : '[^/]*')
    .replace(/\u0000/g, '.*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${re}$`);
}

/** Every file of a checkout, as repository paths (`<repoPath>/<relative path>`). */
export function repositoryFiles(outDir: string, repoPath: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(posix.join(repoPath, relative(outDir, full).split('\\').join('/')));
    }
  };
  walk(outDir);
  return out;
}

/**
 * The parameter sets of the ApplicationSet's git files generator,
 * reading the files from `outDir` (the checkout's `repoPath`).
 */
export function gitFilesParams(appSet: Json, outDir: string, repoPath: string): Json[] {
  const git = appSet.spec.generators[0].git;
  const patterns: RegExp[] = git.files.map((f: { path: string }) => filesPattern(f.path, false));
  const files = repositoryFiles(outDir, repoPath).filter((p) => patterns.some((re) => re.test(p)));
  return files.map((file) => {
    const params = JSON.parse(readFileSync(join(outDir, posix.relative(repoPath, file)), 'utf8'));
    const dir = posix.dirname(file);
    params.path = {
      path: dir,
      basename: posix.basename(dir),
      filename: posix.basename(file),
      basenameNormalized: posix.basename(dir),
      filenameNormalized: posix.basename(file),
      segments: dir.split('/'),
    };
    return params;
  });
}

/** The Application the controller generates from one parameter set. */
export function generateApplication(appSet: Json, params: Json): Json {
  const template = renderStrings(appSet.spec.template, params);
  let app: Json = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { ...template.metadata, namespace: appSet.metadata.namespace },
    spec: template.spec,
  };
  if (appSet.spec.templatePatch) {
    const patch = parse(renderGoTemplate(appSet.spec.templatePatch, params));
    if (patch?.spec?.project !== undefined) throw new TemplateError('spec.project cannot be patched');
    app = strategicMerge(app, patch);
  }
  return app;
}

/** All Applications of an ApplicationSet over a rendered tree. */
export function generateApplications(appSet: Json, outDir: string, repoPath: string): Json[] {
  return gitFilesParams(appSet, outDir, repoPath).map((p) => generateApplication(appSet, p));
}
