// What a controller start loads: zx (LocalHost's shell, ~0.1 CPU-s to import) only when a run is
// --local, never for a run over SSH (hosts/local.ts loads it on first use).
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../../cli/provision-main.ts', import.meta.url));
const LOCAL = fileURLToPath(new URL('../../../hosts/local.ts', import.meta.url));

/** Whether importing `modules` (in a fresh Node, then running `then`) loaded zx. */
function loadsZx(modules: string[], then = ''): boolean {
  const script = [
    "import { createRequire } from 'node:module';",
    ...modules.map((m, i) => `const m${i} = await import(${JSON.stringify(m)});`),
    then,
    "const cache = createRequire(import.meta.url)('module')._cache;",
    "process.stdout.write(String(Object.keys(cache).some((k) => k.includes('/node_modules/zx/'))));",
  ].join('\n');
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }) === 'true';
}

test('the provision entry loads no zx until a local command runs', (t) => {
  t.false(loadsZx([MAIN]));
  t.true(loadsZx([MAIN, LOCAL], "await new m1.LocalHost('here').exec(['true']);"), 'a local command loads it (the check can see it)');
});
