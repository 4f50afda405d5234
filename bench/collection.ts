// The collection of ansible/ for the benchmark and the tests: built with ansible-galaxy and
// installed into a directory, and the Ansible inventory of a lab written as an operator keeps it
// for the collection (group and host vars named sriov_lxc_<field>), and the benchmark's no-op
// through it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { ansibleInventoryOf } from '../inventory/ansible-vars.ts';
import type { LabInfo } from '../lab/index.ts';
import { AnsibleWorkspace, PLAYBOOKS, type PlaybookRun } from './ansible.ts';

export const COLLECTION_SRC = fileURLToPath(new URL('../ansible', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The group of the lab's nodes in that inventory (the fleet playbook's default). */
export const NODES_GROUP = 'sriov_nodes';

/** Builds the collection's tarball into `dir` and installs it under dir/collections; returns the tarball. */
export function installCollection(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const build = spawnSync('ansible-galaxy', ['collection', 'build', '--force', '--output-path', dir, COLLECTION_SRC], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`ansible-galaxy collection build failed:\n${build.stdout}${build.stderr}`);
  const tarball = readdirSync(dir).find((f) => /^sriov_lxc-sriov_lxc-.*\.tar\.gz$/.test(f));
  if (!tarball) throw new Error(`ansible-galaxy collection build wrote no tarball into ${dir}:\n${build.stdout}`);
  const install = spawnSync('ansible-galaxy', ['collection', 'install', '--force', '-p', join(dir, 'collections'), join(dir, tarball)], { encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`ansible-galaxy collection install failed:\n${install.stdout}${install.stderr}`);
  return join(dir, tarball);
}

/** The Ansible inventory of a lab's sriov-lxc inventory file (group sriov_nodes). */
export function labAnsibleInventory(inventoryPath: string): string {
  return ansibleInventoryOf(parse(readFileSync(inventoryPath, 'utf8')), NODES_GROUP);
}

/** The collection installed and an Ansible workspace whose inventory holds the nodes' plans as Ansible variables. */
export interface CollectionWorkspace {
  ws: AnsibleWorkspace;
  collections: string;
}

export function collectionWorkspace(info: LabInfo, dir: string): CollectionWorkspace {
  installCollection(dir);
  return { ws: new AnsibleWorkspace(dir, labAnsibleInventory(info.inventoryPath), info.knownHostsPath), collections: join(dir, 'collections') };
}

/** The no-op through the collection: every node unchanged, none failed. */
export async function collectionNoop(c: CollectionWorkspace, stateDir: string, nodes: number, only?: readonly string[]): Promise<PlaybookRun> {
  const extraVars = { sriov_lxc_controller_command: [process.execPath, join(REPO_ROOT, 'bin', 'sriov-lxc.js')], sriov_lxc_controller_state_dir: stateDir, ...(only ? { bench_only: only } : {}) };
  const a = await c.ws.play(PLAYBOOKS.collectionNoop, { forks: nodes, extraVars, collections: c.collections, timeoutMs: 1_800_000 });
  const wrong = Object.entries(a.stats).filter(([, s]) => (s.failures ?? 0) + (s.unreachable ?? 0) + (s.changed ?? 0) > 0);
  if (a.code !== 0 || wrong.length > 0 || Object.keys(a.stats).length !== nodes) {
    throw new Error(`the no-op through the collection changed or failed (exit ${a.code}) on ${wrong.map(([h]) => h).join(', ')}:\n${a.output}`);
  }
  return a;
}
