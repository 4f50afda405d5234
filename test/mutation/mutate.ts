#!/usr/bin/env -S npx zx
// `npm run mutation -- PATH...`: mutation testing of the modules under PATH (files or folders of
// the tool) with Stryker's command runner over the unit tests that reach them. Which tests: every
// test/unit file whose imports lead, directly or through other modules, to a mutated file; the lab
// and integration tiers are left out (they need labs and minutes per mutant). Prints Stryker's
// table and the score; the JSON and HTML reports go to reports/mutation/.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scriptArgs } from '../../cli/script-args.ts';
import { shellQuote } from '../../hosts/quote.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const USAGE = `Usage: npm run mutation -- [--depth N | --tests FILE,...] PATH...   (a file or folder of the tool, e.g. node/boot inventory/macs.ts)
Mutates the TypeScript files under each PATH (tests excluded) and runs, for every mutant, the unit
tests that import them: directly (--depth 1), or through at most N-1 other modules (default 2; 0 =
any depth), or the unit test files named with --tests. String literals (messages) are not
mutated. A mutant that makes a test hang counts as detected (Stryker's "timeout").
Reports in reports/mutation/.`;

function tsFilesUnder(path: string): string[] {
  const abs = resolve(ROOT, path);
  const st = statSync(abs);
  if (st.isFile()) return [relative(ROOT, abs)];
  return readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** The project files a file imports (relative specifiers, static and dynamic). */
function importsOf(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(join(ROOT, file), 'utf8');
  } catch {
    return [];
  }
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => relative(ROOT, resolve(ROOT, dirname(file), m[1]!)));
}

/** Whether `file` reaches any of `targets` through a chain of at most `depth` imports (0: any). */
function reaches(file: string, targets: ReadonlySet<string>, depth: number): boolean {
  const seen = new Set<string>([file]);
  let level = [file];
  for (let d = 1; level.length > 0 && (depth === 0 || d <= depth); d++) {
    const next: string[] = [];
    for (const f of level) {
      for (const g of importsOf(f)) {
        if (targets.has(g)) return true;
        if (!seen.has(g)) {
          seen.add(g);
          next.push(g);
        }
      }
    }
    level = next;
  }
  return false;
}

/** The system directories a mutant's test run sees read-only (its temp files go to /tmp, the checkout is under neither). */
const READ_ONLY = ['/etc', '/var', '/usr', '/boot', '/root', '/opt', '/srv'];

/** `command` run by sh in a private mount namespace with READ_ONLY bound read-only over themselves. */
export function guarded(command: string): string {
  const ro = READ_ONLY.map((d) => `mount --bind ${d} ${d} && mount -o remount,bind,ro ${d}`).join(' && ');
  return `unshare --mount --propagation private -- sh -c '${ro} && exec "$0" "$@"' sh -c ${JSON.stringify(command)}`;
}

function main(argv: string[]): number {
  if (argv.length === 0 || argv.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  let depth = 2;
  const d = argv.indexOf('--depth');
  if (d >= 0) {
    depth = Number(argv[d + 1]);
    if (!Number.isInteger(depth) || depth < 0) {
      process.stderr.write(`mutation: --depth takes a whole number >= 0, not ${JSON.stringify(argv[d + 1] ?? '')}\n${USAGE}\n`);
      return 2;
    }
    argv = [...argv.slice(0, d), ...argv.slice(d + 2)];
  }
  let only: string[] | undefined;
  const o = argv.indexOf('--tests');
  if (o >= 0) {
    only = (argv[o + 1] ?? '').split(',').filter(Boolean);
    const absent = only.filter((f) => !existsSync(join(ROOT, f)));
    if (only.length === 0 || absent.length > 0) {
      process.stderr.write(`mutation: --tests takes test files separated by commas${absent.length > 0 ? `; not found: ${absent.join(', ')}` : ''}\n${USAGE}\n`);
      return 2;
    }
    argv = [...argv.slice(0, o), ...argv.slice(o + 2)];
  }
  let targets: string[];
  try {
    targets = argv.flatMap(tsFilesUnder);
  } catch (e) {
    process.stderr.write(`mutation: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const set = new Set(targets);
  const tests = only ?? readdirSync(join(ROOT, 'test/unit'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))
    .filter((t) => reaches(t, set, depth))
    .sort();
  if (tests.length === 0) {
    process.stderr.write(`mutation: no unit test reaches ${argv.join(' ')}: every mutant would survive; write tests first\n`);
    return 1;
  }
  const name = argv.map((p) => p.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')).join('+');
  process.stdout.write(`mutation: ${targets.length} file(s) mutated, ${tests.length} unit test file(s):\n${tests.map((t) => `  ${t}`).join('\n')}\n`);
  // Stryker's config in a private directory (never a shared /tmp name); the sandbox in the checkout.
  const dir = mkdtempSync(join(tmpdir(), 'sriov-lxc-mutation-'));
  const config = join(dir, 'stryker.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      testRunner: 'command',
      // ava, lab tests (titles `lab:`) never; in a private mount namespace whose system directories
      // are read-only, because a mutant can turn a test's private path into the real one (a mutant
      // of engine/node-lock.ts once wrote its lock to this machine's /var/lib/sriov-lxc, which every
      // lab node's /var overlay then showed). ava by the checkout's path: the sandbox has no
      // node_modules of its own when the checkout's is a symlink (a worktree's), which Stryker
      // does not link into it.
      // --fail-fast: a mutant is killed by its first failing test; the rest need not run.
      commandRunner: { command: guarded(`${shellQuote(join(ROOT, 'node_modules/.bin/ava'))} --fail-fast --match '!lab:*' ${tests.map((t) => `'${t}'`).join(' ')}`) },
      mutate: targets,
      coverageAnalysis: 'off',
      // Messages and hints are text a person reads: their mutants test the wording, not what
      // happens to a node, and outnumber the rest; the score is over the logic.
      mutator: { excludedMutations: ['StringLiteral'] },
      concurrency: 2,
      timeoutMS: 30_000,
      reporters: ['clear-text', 'progress-append-only', 'json', 'html'],
      jsonReporter: { fileName: `reports/mutation/${name}.json` },
      htmlReporter: { fileName: `reports/mutation/${name}.html` },
      ignorePatterns: ['.lab', 'reports', 'state-local', 'dist', 'bench/results', '.stryker-tmp'],
      tempDirName: '.stryker-tmp',
      cleanTempDir: 'always',
    }),
    { mode: 0o600 },
  );
  try {
    const r = spawnSync('npx', ['stryker', 'run', config], { cwd: ROOT, stdio: 'inherit' });
    return r.status ?? 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = main(scriptArgs(import.meta.url));
