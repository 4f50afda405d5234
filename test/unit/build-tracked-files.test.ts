// Issue 24: `npm run build` copied the lab/node working tree, so an untracked file there (a stray
// key, a scratch script) shipped in the package. The build's copy step, taken from package.json
// as it is, runs here in a throwaway git repository.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../helpers/lab-fixture.ts';

test('the build copies only tracked files of lab/node and lab/drivers into dist', (t) => {
  const build = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['build'] ?? '';
  const copy = build.split(' && ').find((step) => /\blab\/node\b/.test(step));
  t.truthy(copy, 'the build has a step that copies lab/node');
  const repo = mkdtempSync(join(tmpdir(), 'sriov-build-copy-'));
  t.teardown(() => rmSync(repo, { recursive: true, force: true }));
  for (const dir of ['lab/node/bin', 'lab/drivers', 'dist/lab']) mkdirSync(join(repo, dir), { recursive: true });
  writeFileSync(join(repo, 'lab/node/bin/ip'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(join(repo, 'lab/drivers/ixgbe.tar.gz'), 'tarball');
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { stdio: 'pipe' });
  git('init', '-q');
  git('add', 'lab');
  writeFileSync(join(repo, 'lab/node/id_ed25519'), 'a stray private key');
  mkdirSync(join(repo, 'lab/node/scratch'));
  writeFileSync(join(repo, 'lab/node/scratch/notes'), 'untracked');
  execFileSync('sh', ['-c', copy!], { cwd: repo });
  t.true(existsSync(join(repo, 'dist/lab/node/bin/ip')));
  t.true(existsSync(join(repo, 'dist/lab/drivers/ixgbe.tar.gz')));
  t.false(existsSync(join(repo, 'dist/lab/node/id_ed25519')), 'an untracked file never ships');
  t.false(existsSync(join(repo, 'dist/lab/node/scratch')));
});
