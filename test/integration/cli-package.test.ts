// The installable command: `npm pack` (its prepack builds dist/), the tarball installed into a
// temporary prefix as `npm install -g` does, and the installed `sriov-lxc` run from a directory
// outside the checkout. In the slow tier (title `lab:`): it builds, packs and installs (1-3 min;
// npm takes the dependencies from its cache, or the registry).
import test from 'ava';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { probeBinding } from '../../hosts/ssh2-binding.ts';
import { REPO } from '../helpers/lab-fixture.ts';

const run = promisify(execFile);

test('lab: npm pack, npm install -g --prefix TMP of the tarball: TMP/bin/sriov-lxc --help, --version and its commands work outside the checkout', async (t) => {
  t.timeout(600_000);
  const tmp = mkdtempSync(join(tmpdir(), 'sriov-lxc-pack-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  // Node 24 (this test's) first on PATH, as the bin's `#!/usr/bin/env node` finds it.
  const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env['PATH'] ?? ''}` };
  const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

  const packed = await run('npm', ['pack', '--pack-destination', tmp, '--json'], { cwd: REPO, env, maxBuffer: 64 << 20 });
  const [tarball] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string }[];
  const prefix = join(tmp, 'prefix');
  await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(tmp, tarball!.filename)], { cwd: tmp, env, maxBuffer: 64 << 20 });

  const bin = join(prefix, 'bin', 'sriov-lxc');
  const installed = join(prefix, 'lib', 'node_modules', 'sriov-lxc');
  t.true(existsSync(join(installed, 'dist', 'workflows', 'teardown.js')), 'the package carries the compiled JavaScript');
  t.false(existsSync(join(installed, 'workflows')), 'and not the TypeScript sources, which Node would not run under node_modules');
  // The package's own postinstall (dist/scripts) checked ssh2's binding: never one that aborts at
  // GC (hosts/ssh2-binding.ts); with a compiler here, rebuilt until usable.
  const binding = probeBinding(join(installed, 'node_modules', 'ssh2', 'lib', 'protocol', 'crypto', 'build', 'Release', 'sshcrypto.node'));
  t.log(`installed ssh2 binding: ${binding.probe}`);
  const compiler = spawnSync('sh', ['-c', 'command -v c++ && command -v make && command -v python3'], { stdio: 'ignore' }).status === 0;
  if (compiler) t.is(binding.probe, 'usable', binding.detail);
  else t.true(binding.probe === 'absent' || binding.probe === 'unloadable', binding.detail);
  const outside = { cwd: tmp, env };

  t.is((await run(bin, ['--version'], outside)).stdout, `sriov-lxc ${version}\n`);
  const help = (await run(bin, ['--help'], outside)).stdout;
  for (const command of ['provision', 'teardown', 'status', 'report', 'lab']) t.regex(help, new RegExp(`^  ${command} `, 'm'));
  t.regex((await run(bin, ['teardown', '--help'], outside)).stdout, /--keep-containers/);
  t.regex((await run(bin, ['provision', '--help'], outside)).stdout, /--retry-failed/);
  t.regex((await run(bin, ['lab', 'packages'], outside)).stdout, /^openssh-server$/m);
  const bad = await run(bin, ['provision', '--inventory', join(tmp, 'missing.yaml')], outside).catch((e: { code: number; stderr: string }) => e);
  t.like(bad, { code: 2 });
  t.regex((bad as { stderr: string }).stderr, /inventory file not found/);
  const unknown = await run(bin, ['frobnicate'], outside).catch((e: { code: number; stderr: string }) => e);
  t.like(unknown, { code: 2 });
});
