// Ansible over a lab (the collection in ansible/): the collection built with ansible-galaxy and
// installed into a directory of the lab's, an Ansible inventory written from the lab's sriov-lxc
// inventory as an operator would keep it (fields shared by every node as group vars, the rest as
// host vars, named as the collection reads them), and ansible-playbook runs with the json
// callback, parsed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse, stringify } from 'yaml';
import { ANSIBLE_VARS } from '../../inventory/ansible-vars.ts';
import { finished, REPO, type CliResult } from './lab-fixture.ts';

export const COLLECTION_SRC = join(REPO, 'ansible');
/** The sriov-lxc command the collection runs: the checkout's bin with Node 24 (this process's node). */
export const SRIOV_LXC_COMMAND = [process.execPath, join(REPO, 'bin', 'sriov-lxc.js')];

/** Builds the collection's tarball into `dir` and installs it under dir/collections; returns the tarball. */
export function installCollection(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const build = spawnSync('ansible-galaxy', ['collection', 'build', '--force', '--output-path', dir, COLLECTION_SRC], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`ansible-galaxy collection build failed:\n${build.stdout}${build.stderr}`);
  const tarball = join(dir, readdirSync(dir).find((f) => /^sriov_lxc-sriov_lxc-.*\.tar\.gz$/.test(f))!);
  const install = spawnSync('ansible-galaxy', ['collection', 'install', '--force', '-p', join(dir, 'collections'), tarball], { encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`ansible-galaxy collection install failed:\n${install.stdout}${install.stderr}`);
  return tarball;
}

/**
 * The Ansible inventory of a lab's sriov-lxc inventory: group `sriov_nodes` with the fields that
 * every host has alike (after `defaults`) as group vars, the others as host vars.
 */
export function ansibleInventoryOf(inventoryPath: string, extraGroupVars: Record<string, unknown> = {}): string {
  const raw = parse(readFileSync(inventoryPath, 'utf8')) as { defaults?: Record<string, unknown>; hosts: Record<string, Record<string, unknown>> };
  const merged = Object.entries(raw.hosts).map(([name, h]) => [name, { ...raw.defaults, ...h }] as const);
  const fields = new Set(merged.flatMap(([, h]) => Object.keys(h)));
  const shared = [...fields].filter((f) => merged.every(([, h]) => f in h && isDeepStrictEqual(h[f], merged[0]![1][f])));
  const varsOf = (h: Record<string, unknown>, keep: (f: string) => boolean) =>
    Object.fromEntries(Object.entries(h).filter(([f]) => keep(f)).map(([f, v]) => [ANSIBLE_VARS[f] ?? f, v]));
  const hosts = Object.fromEntries(merged.map(([name, h]) => [name, varsOf(h, (f) => !shared.includes(f))]));
  const groupVars = { ...varsOf(merged[0]![1], (f) => shared.includes(f)), ...extraGroupVars };
  return stringify({ all: { children: { sriov_nodes: { vars: groupVars, hosts } } } }, { lineWidth: 0, aliasDuplicateObjects: false });
}

export interface PlayRecap {
  ok: number;
  changed: number;
  failures: number;
  unreachable: number;
  skipped: number;
}

/** What the json callback says of one host's provision task. */
export interface HostTaskResult {
  changed?: boolean;
  failed?: boolean;
  msg?: string;
  stage?: string | null;
  diagnosis?: string;
  hint?: string;
  status?: string;
  reboots?: number;
  stages?: { id: string; status: string; changed: boolean }[];
  diff?: { before_header: string; prepared: string }[];
  rc?: number;
}

export interface PlaybookResult extends CliResult {
  stats: Record<string, PlayRecap>;
  /** Per task name, per host. */
  tasks: Record<string, Record<string, HostTaskResult>>;
}

export interface AnsibleRun {
  dir: string;
  inventory: string;
  playbook: string;
  extraArgs?: readonly string[];
}

/** ansible-playbook in `dir` (its ansible.cfg, the collection installed there), json callback. */
export function spawnPlaybook(run: AnsibleRun): ChildProcess {
  writeFileSync(join(run.dir, 'ansible.cfg'), ['[defaults]', `collections_path = ${join(run.dir, 'collections')}`, 'forks = 8', 'retry_files_enabled = False', `local_tmp = ${join(run.dir, 'tmp')}`, ''].join('\n'));
  return spawn('ansible-playbook', ['-i', run.inventory, run.playbook, ...(run.extraArgs ?? [])], {
    cwd: run.dir,
    // its own process group: a test stops the whole job at once (as an execution environment is torn down)
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ANSIBLE_CONFIG: join(run.dir, 'ansible.cfg'), ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_NOCOLOR: '1', ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3' },
  });
}

export function parsePlaybook(result: CliResult): PlaybookResult {
  type Doc = { plays: { tasks: { task: { name: string }; hosts: Record<string, HostTaskResult> }[] }[]; stats: Record<string, PlayRecap> };
  let doc: Doc;
  try {
    doc = JSON.parse(result.stdout.slice(result.stdout.indexOf('{'))) as Doc;
  } catch {
    throw new Error(`ansible-playbook printed no json document (exit ${result.code}, signal ${result.signal}):\n${result.stdout.slice(-4000)}\n${result.stderr.slice(-3000)}`);
  }
  const tasks: PlaybookResult['tasks'] = {};
  for (const t of doc.plays.flatMap((p) => p.tasks)) tasks[t.task.name] = { ...tasks[t.task.name], ...t.hosts };
  return { ...result, stats: doc.stats, tasks };
}

export async function runPlaybook(run: AnsibleRun, timeoutMs = 600_000): Promise<PlaybookResult> {
  return parsePlaybook(await finished(spawnPlaybook(run), timeoutMs));
}
