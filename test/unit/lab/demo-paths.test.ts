// The demo runs the tool's entry scripts by path (`npm run demo` is the README's first command):
// a move of a script or of the demo itself must not leave it pointing at nothing, as it once did
// after the demo moved into lab/ (the demo then failed at once, "Cannot find module").
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DEMO = fileURLToPath(new URL('../../../lab/demo.ts', import.meta.url));

test('every script and directory the demo names by path (here(...)) is where it says', (t) => {
  const paths = [...readFileSync(DEMO, 'utf8').matchAll(/\bhere\('([^']+)'\)/g)].map((m) => m[1]!);
  t.true(paths.includes('../workflows/provision.ts') && paths.includes('../workflows/report.ts'), paths.join(', '));
  const scripts = paths.filter((p) => p.endsWith('.ts'));
  t.deepEqual(scripts.filter((p) => !existsSync(fileURLToPath(new URL(p, new URL('../../../lab/demo.ts', import.meta.url))))), []);
});
