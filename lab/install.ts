// Prepares a node's directory and installs its "OS" once (lab/node/install.sh, in a private mount
// namespace with the node's disk assembled), like an installer before the first boot.
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { $ } from 'zx';
import { ensureKeyPair } from './keys.ts';
import type { Firmware, Flavour, NodeLayout } from './layout.ts';
import { nodePaths } from './layout.ts';

const OVERLAYS = ['etc', 'usr', 'var', 'opt', 'srv', 'home'];
const PLAIN = ['root', 'boot', 'mnt', 'tmp', 'lxc'];
export const NODE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The environment every node-side script of the lab starts with. */
export function nodeEnv(node: NodeLayout, flavour: Flavour, firmware: Firmware, srcDir: string, shimDir: string, nic = '82599'): Record<string, string> {
  return {
    PATH: NODE_PATH,
    HOME: '/root',
    LANG: 'C.UTF-8',
    LAB_SHIM_OFF: '1',
    LAB_NODE: node.name,
    LAB_NODE_INDEX: String(node.index),
    LAB_FLAVOUR: flavour,
    LAB_FIRMWARE: firmware,
    LAB_NIC: nic,
    LAB_NODE_DIR: node.dir,
    LAB_SRC: srcDir,
    LAB_SHIM_DIR: shimDir,
  };
}

export function prepareNodeDir(node: NodeLayout): void {
  const p = nodePaths(node.dir);
  for (const d of OVERLAYS) {
    mkdirSync(join(p.disk, d), { recursive: true });
    mkdirSync(join(p.disk, '.work', d), { recursive: true });
  }
  for (const d of PLAIN) mkdirSync(join(p.disk, d), { recursive: true });
  chmodSync(join(p.disk, 'tmp'), 0o1777);
  // mount point of the lab's node-side scripts inside the node's /usr
  mkdirSync(join(p.disk, 'usr', 'lib', 'sriov-lab'), { recursive: true });
  mkdirSync(p.faults, { recursive: true });
  mkdirSync(p.run, { recursive: true });
}

export async function installNode(
  node: NodeLayout,
  flavour: Flavour,
  firmware: Firmware,
  srcDir: string,
  shimDir: string,
  authorizedKeys: string,
  nic?: string,
): Promise<void> {
  const p = nodePaths(node.dir);
  if (existsSync(p.installed)) return;
  prepareNodeDir(node);
  await ensureKeyPair(p.hostKey, `${node.name} host key`);
  const env = { ...nodeEnv(node, flavour, firmware, srcDir, shimDir, nic), LAB_AUTHORIZED_KEYS: authorizedKeys, LAB_HOST_KEY: p.hostKey };
  const result = await $({ env, quiet: true, nothrow: true })`unshare --mount --fork -- sh ${join(srcDir, 'install.sh')}`;
  writeFileSync(join(node.dir, 'install.log'), result.stdout + result.stderr);
  if (result.exitCode !== 0) {
    throw new Error(`installing ${node.name} failed (exit ${result.exitCode}): ${result.stderr.trim().split('\n').slice(-5).join('\n')}`);
  }
  writeFileSync(p.installed, `${new Date().toISOString()}\n`);
}
