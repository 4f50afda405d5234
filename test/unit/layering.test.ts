// The layers depend downwards only (README "Layout"): nothing below workflows/ imports from it, and
// the lab takes of the tool no more than the quoting helper, the private-directory checks and the
// mounts parser. Reads every import of every source file.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Lower floors first: a file may import from its own floor and from the ones before it. `node/` is
 * what the tool reads and does on a node (a Host and plain values in); `benchmark/` measures and
 * reports; `engine/` runs stages under the contract (engine/stage.ts); `tasks/` are the stages;
 * `workflows/` orders them; `cli/` parses options and runs a workflow.
 */
const LAYERS = ['core', 'inventory', 'state', 'hosts', 'node', 'benchmark', 'engine', 'tasks', 'workflows', 'cli'] as const;
/** The entry scripts: the top, above cli/ (they only start it). */
const ENTRIES = new Set(['workflows/provision.ts', 'workflows/teardown.ts', 'workflows/status.ts', 'workflows/report.ts']);
/** What the lab (a stand-in for hardware) may take of the tool. */
// The quoting helper, the trust checks of a private directory (the lab's directory is checked like
// the state directory), and the pure parser of /proc/mounts: the lab reads this machine's own mount
// table for the mounts it made itself (lab/nodes-tmpfs.ts), never to answer a node's command, so
// one tested parser of the kernel's escapes serves both rather than a second copy.
const LAB_MAY_IMPORT = new Set(['hosts/quote.ts', 'state/private-dir.ts', 'node/parse/findmnt.ts']);
/** The lab's entry scripts, which start a lab and then run the tool on it. */
const LAB_ENTRIES = new Set(['lab/demo.ts', 'lab/lab.ts']);

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
  const text = "import { a } from '../../engine/run.ts';\nimport type { B } from './b.ts';\nconst m = await import('../core/errors.ts');";
  t.deepEqual(importsOf('tasks/x/stage.ts', text), ['engine/run.ts', 'tasks/x/b.ts', 'tasks/core/errors.ts']);
});

type Layer = (typeof LAYERS)[number];
const isLayer = (name: string): name is Layer => (LAYERS as readonly string[]).includes(name);

/** Every import that breaks the floors: upwards, a stage importing a stage, the lab or tests or bench from the tool. */
function floorViolations(): string[] {
  const violations: string[] = [];
  for (const layer of LAYERS) {
    const allowed = new Set(LAYERS.slice(0, LAYERS.indexOf(layer) + 1));
    for (const file of sourceFiles(layer)) {
      const entry = ENTRIES.has(file);
      for (const target of importsOf(file, readFileSync(join(ROOT, file), 'utf8'))) {
        const to = layerOf(target);
        const upward = isLayer(to) && !allowed.has(to) && !entry;
        const stageToStage = layer === 'tasks' && to === 'tasks';
        if (upward || stageToStage || to === 'lab' || to === 'test' || to === 'bench') violations.push(`${file} imports ${target}`);
      }
    }
  }
  return violations;
}

test('no floor imports from a floor above it, and no stage imports another stage', (t) => {
  t.deepEqual(floorViolations(), []);
});

test('the lab imports nothing of the tool but the quoting helper, the private-directory checks and the mounts parser (its entry scripts excepted)', (t) => {
  const violations = sourceFiles('lab')
    .filter((file) => !LAB_ENTRIES.has(file))
    .flatMap((file) =>
      importsOf(file, readFileSync(join(ROOT, file), 'utf8'))
        .filter((target) => layerOf(target) !== 'lab' && !LAB_MAY_IMPORT.has(target))
        .map((target) => `${file} imports ${target}`),
    );
  t.deepEqual(violations, []);
});
