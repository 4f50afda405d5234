// The sysfs shim (lab/node/shim/sriov-numvfs.c) turns itself off in a shell running one of the
// lab's own scripts, from that shell's first instruction, and says so to what it starts
// (LAB_SHIM_OFF=1): lib/common.sh then has no re-exec to do. Built here with the scripts'
// directory moved to a private one (LAB_SCRIPTS_DIR) and preloaded into this machine's sh, bash
// and dash; the shim touches nothing but the fake sysfs paths of a node, which none of this opens.
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SHIM = fileURLToPath(new URL('../../../lab/node/shim/sriov-numvfs.c', import.meta.url));

test('the shim is off for a shell running a lab script (also through a link, and for what it starts), on for any other shell', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sriov-lxc-shim-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const scripts = join(dir, 'lib', 'sriov-lab');
  mkdirSync(join(scripts, 'bin'), { recursive: true });
  const so = join(dir, 'shim.so');
  execFileSync('cc', ['-O2', '-Wall', '-shared', '-fPIC', `-DLAB_SCRIPTS_DIR="${scripts}/"`, '-o', so, SHIM, '-ldl']);
  const say = '#!/bin/sh\necho "${LAB_SHIM_OFF:-on} $(sh -c \'echo "${LAB_SHIM_OFF:-on}"\')"\n';
  const labScript = join(scripts, 'bin', 'probe');
  const userScript = join(dir, 'probe');
  for (const file of [labScript, userScript]) {
    writeFileSync(file, say);
    chmodSync(file, 0o755);
  }
  const link = join(dir, 'link-to-lab-probe');
  symlinkSync(labScript, link);
  const run = (argv: string[]): string => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, LD_PRELOAD: so };
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env });
    if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  t.is(run([labScript]), '1 1', 'a lab script, and the sh it starts');
  t.is(run([link]), '1 1', 'called through a link, as /usr/sbin/ip is');
  for (const shell of ['sh', 'bash', 'dash']) {
    if (spawnSync('sh', ['-c', `command -v ${shell}`]).status !== 0) continue;
    t.is(run([shell, labScript]), '1 1', `${shell} SCRIPT`);
    t.is(run([shell, userScript]), 'on on', `${shell} running another script`);
    t.is(run([shell, '-c', 'echo "${LAB_SHIM_OFF:-on}"']), 'on', `${shell} -c`);
  }
  t.is(run([userScript]), 'on on');
});
