// Ansible over a lab (the collection in ansible/, installed by bench/collection.ts): ansible-playbook
// runs with the json callback, parsed.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { finished, REPO, type CliResult } from './lab-fixture.ts';

/** The sriov-lxc command the collection runs: the checkout's bin with Node 24 (this process's node). */
export const SRIOV_LXC_COMMAND = [process.execPath, join(REPO, 'bin', 'sriov-lxc.js')];

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
  /** More environment for ansible-playbook (and so its workers and the tool). */
  env?: Readonly<Record<string, string>>;
}

/** ansible-playbook in `dir` (its ansible.cfg, the collection installed there), json callback. */
export function spawnPlaybook(run: AnsibleRun): ChildProcess {
  writeFileSync(join(run.dir, 'ansible.cfg'), ['[defaults]', `collections_path = ${join(run.dir, 'collections')}`, 'forks = 8', 'retry_files_enabled = False', `local_tmp = ${join(run.dir, 'tmp')}`, ''].join('\n'));
  return spawn('ansible-playbook', ['-i', run.inventory, run.playbook, ...(run.extraArgs ?? [])], {
    cwd: run.dir,
    // its own process group: a test stops the whole job at once (as an execution environment is torn down)
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...run.env, ANSIBLE_CONFIG: join(run.dir, 'ansible.cfg'), ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_NOCOLOR: '1', ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3' },
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
