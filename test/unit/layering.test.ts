// The layers depend downwards only (README "Layout"): nothing below workflows/ imports from it, and
// the lab takes of the tool no more than the quoting helper. Reads every import of every source file.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Lower layers first: a file may import from its own layer and from the ones before it. */
const LAYERS = ['core', 'inventory', 'state', 'hosts', 'tasks', 'workflows'] as const;
/** What the lab (a stand-in for hardware) may take of the tool. */
// The quoting helper, and the trust checks of a private directory (the lab's directory is checked
// like the state directory).
const LAB_MAY_IMPORT = new Set(['hosts/quote.ts', 'state/private-dir.ts']);

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** The project files a source file imports (relative specifiers, static and dynamic). */
export function importsOf(file: string, text: string): string[] {
  const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)));
}

function layerOf(path: string): string {
  return path.split('/')[0]!;
}

test('the import reader finds static, type-only and dynamic imports', (t) => {
  const text = "import { a } from '../../workflows/engine/run.ts';\nimport type { B } from './b.ts';\nconst m = await import('../core/errors.ts');";
  t.deepEqual(importsOf('tasks/x/stage.ts', text), ['workflows/engine/run.ts', 'tasks/x/b.ts', 'tasks/core/errors.ts']);
});

test('no layer imports from a layer above it', (t) => {
  const violations: string[] = [];
  for (const layer of LAYERS) {
    const allowed = new Set(LAYERS.slice(0, LAYERS.indexOf(layer) + 1));
    for (const file of sourceFiles(layer)) {
      for (const target of importsOf(file, readFileSync(join(ROOT, file), 'utf8'))) {
        const to = layerOf(target);
        if ((LAYERS as readonly string[]).includes(to) && !allowed.has(to as (typeof LAYERS)[number])) violations.push(`${file} imports ${target}`);
        // The lab is for the entry scripts that start it (lab.ts, demo.ts), never for the tool itself.
        if ((to === 'lab' && layer !== 'workflows') || to === 'test' || to === 'bench') violations.push(`${file} imports ${target}`);
      }
    }
  }
  t.deepEqual(violations, []);
});

test('the lab imports nothing of the tool but the quoting helper and the private-directory checks', (t) => {
  const violations = sourceFiles('lab').flatMap((file) =>
    importsOf(file, readFileSync(join(ROOT, file), 'utf8'))
      .filter((target) => layerOf(target) !== 'lab' && !LAB_MAY_IMPORT.has(target))
      .map((target) => `${file} imports ${target}`),
  );
  t.deepEqual(violations, []);
});
