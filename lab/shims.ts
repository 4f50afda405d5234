// Builds the lab's preload shims (lab/node/shim/*.c) into the lab directory: the sysfs
// sriov_numvfs semantics (in every node process), the ssh-drops fault and the sshd-ready record (in
// sshd) and CentOS 7's loader and /proc/mounts (el7, in every process of a centos7 node).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sh, shTry } from './run.ts';

const SHIMS = ['sriov-numvfs', 'ssh-drops', 'sshd-ready', 'el7'];

export async function buildShims(srcDir: string, outDir: string): Promise<void> {
  if ((await shTry`command -v cc`).exitCode !== 0) {
    throw new Error('the lab builds small preload libraries and needs a C compiler: apt-get install gcc');
  }
  mkdirSync(outDir, { recursive: true });
  for (const shim of SHIMS) {
    await sh`cc -O2 -Wall -shared -fPIC -o ${join(outDir, `${shim}.so`)} ${join(srcDir, 'shim', `${shim}.c`)} -ldl`;
  }
}
