// Prepares a node's directory and installs its "OS" once (lab/node/install.sh, in a private mount
// namespace with the node's disk assembled), like an installer before the first boot.
import { chmodSync, chownSync, existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { $ } from 'zx';
import { ensureKeyPair } from './keys.ts';
import type { Firmware, Flavour, NodeLayout } from './layout.ts';
import { nodePaths } from './layout.ts';

// The node's overlays (lib/mount-root.sh's NODE_OVERLAYS): upper dirs on the node's disk in the
// lab's tmpfs, but /srv's on this machine's disk (NodeLayout.blockDir): the benchmark's fio file
// lives in /srv/bench, and O_DIRECT and blkio limits need a block device under it.
const OVERLAYS = ['etc', 'usr', 'var', 'opt', 'home'];
const BLOCK_OVERLAYS = ['srv'];

// The lower layer of a node's /var (lib/mount-root.sh), in place of this machine's /var: a fresh
// Debian's directories (base-files' var/, with /var/run and /var/lock links into /run as Debian 12
// has them) and those of the packages the node runs (lxc: /var/lib/lxc, /var/cache/lxc;
// dnsmasq-base for lxc-net: /var/lib/misc). Modes and groups as Debian's; gids 50 staff, 8 mail
// (base-passwd's fixed ids).
const NODE_VAR: [string, number, number][] = [
  ['backups', 0o755, 0],
  ['cache', 0o755, 0],
  ['cache/lxc', 0o755, 0],
  ['lib', 0o755, 0],
  ['lib/lxc', 0o755, 0],
  ['lib/misc', 0o755, 0],
  ['local', 0o2775, 50],
  ['log', 0o755, 0],
  ['mail', 0o2775, 8],
  ['opt', 0o755, 0],
  ['spool', 0o755, 0],
  ['tmp', 0o1777, 0],
];

/** Builds the node's /var lower layer once (complete or not at all: made aside, then renamed). */
function buildNodeVar(varBase: string): void {
  if (existsSync(varBase)) return;
  const aside = `${varBase}.new`;
  rmSync(aside, { recursive: true, force: true });
  mkdirSync(aside, { mode: 0o755 });
  for (const [d, mode, gid] of NODE_VAR) {
    const path = join(aside, d);
    mkdirSync(path);
    chownSync(path, 0, gid);
    chmodSync(path, mode);
  }
  symlinkSync('/run', join(aside, 'run'));
  symlinkSync('/run/lock', join(aside, 'lock'));
  renameSync(aside, varBase);
}
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
    LAB_BLOCK_DIR: node.blockDir,
    LAB_SRC: srcDir,
    LAB_SHIM_DIR: shimDir,
  };
}

export function prepareNodeDir(node: NodeLayout): void {
  const p = nodePaths(node.dir);
  for (const [base, dirs] of [[p.disk, OVERLAYS], [node.blockDir, BLOCK_OVERLAYS]] as const) {
    for (const d of dirs) {
      mkdirSync(join(base, d), { recursive: true });
      mkdirSync(join(base, '.work', d), { recursive: true });
    }
  }
  for (const d of PLAIN) mkdirSync(join(p.disk, d), { recursive: true });
  chmodSync(join(p.disk, 'tmp'), 0o1777);
  buildNodeVar(p.varBase);
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
