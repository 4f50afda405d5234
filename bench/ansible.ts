// Ansible for the benchmark: Debian's package installed when missing, and playbook runs in a
// directory of their own (inventory, ansible.cfg, a fresh ControlMaster directory per run so no
// run inherits a warm connection), timed, with the json callback's per-task timestamps.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadInventory } from '../inventory/load.ts';
import { readTarball } from '../node/drivers/tarball.ts';
import { ANSIBLE_JSON_CALLBACK } from '../lab/packages.ts';
import { ansibleConfig, ansibleInventory } from './ansible-inventory.ts';
import { measure } from './measure.ts';

export const PLAYBOOKS = {
  noop: fileURLToPath(new URL('./ansible/noop-converge.yml', import.meta.url)),
  reboot: fileURLToPath(new URL('./ansible/reboot.yml', import.meta.url)),
  collectionNoop: fileURLToPath(new URL('./ansible/collection-noop.yml', import.meta.url)),
} as const;

function version(): string | undefined {
  const r = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0]!.trim() : undefined;
}

/**
 * `ansible-playbook --version`'s first line; installs Debian's `ansible` first when it is missing,
 * or when only ansible-core is there (the lab's test packages): its json callback, which the runs
 * here parse, is ansible.posix's, in the ansible package.
 */
export function ensureAnsible(log: (line: string) => void): string {
  const present = version();
  if (present && existsSync(ANSIBLE_JSON_CALLBACK)) return present;
  log(`installing Debian's ansible package (apt-get install -y ansible)${present ? `: ${present} has no json callback (${ANSIBLE_JSON_CALLBACK})` : ''}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'ansible'], { env, stdio: 'inherit' }).status === 0;
  if (!install()) {
    spawnSync('apt-get', ['update'], { env, stdio: 'inherit' });
    if (!install()) throw new Error('apt-get install ansible failed; install it by hand (Debian 12: apt-get install ansible) and run the benchmark again');
  }
  const installed = version();
  if (!installed) throw new Error('ansible was installed but ansible-playbook does not run; check `ansible-playbook --version`');
  if (!existsSync(ANSIBLE_JSON_CALLBACK)) throw new Error(`ansible was installed but ${ANSIBLE_JSON_CALLBACK} is not there; check \`dpkg -L ansible | grep callback/json\``);
  return installed;
}

export interface TaskTiming {
  name: string;
  /** ms since the epoch */
  start: number;
  end: number;
}

export interface PlaybookRun {
  code: number | null;
  wallMs: number;
  tasks: TaskTiming[];
  /** Per host: module runs on the host (tasks, loop items counted; controller-side actions not). */
  remoteRuns: Record<string, number>;
  /** Per host: ok, changed, failures, unreachable, ... */
  stats: Record<string, Record<string, number>>;
  /** The callback's output when the run failed, for the error message. */
  output: string;
}

interface JsonCallbackDoc {
  plays: {
    tasks: {
      task: { name: string; duration: { start: string; end: string } };
      hosts: Record<string, { action?: string; results?: unknown[]; skipped?: boolean }>;
    }[];
  }[];
  stats: Record<string, Record<string, number>>;
}

// Actions that run on the controller only.
const CONTROLLER_ACTIONS = new Set(['assert', 'debug', 'set_fact', 'fail', 'meta']);

/** The json callback's document: task names with start and end, module runs per host. Pure. */
export function parseJsonCallback(text: string): { tasks: TaskTiming[]; stats: JsonCallbackDoc['stats']; remoteRuns: Record<string, number> } {
  const doc = JSON.parse(text.slice(text.indexOf('{'))) as JsonCallbackDoc;
  const all = doc.plays.flatMap((p) => p.tasks);
  const tasks = all.map((t) => ({ name: t.task.name, start: Date.parse(t.task.duration.start), end: Date.parse(t.task.duration.end) }));
  const remoteRuns: Record<string, number> = {};
  for (const t of all) {
    for (const [host, result] of Object.entries(t.hosts)) {
      const action = (result.action ?? '').split('.').at(-1) ?? '';
      const runs = CONTROLLER_ACTIONS.has(action) || result.skipped ? 0 : (result.results?.length ?? 1);
      remoteRuns[host] = (remoteRuns[host] ?? 0) + runs;
    }
  }
  return { tasks, stats: doc.stats, remoteRuns };
}

export class AnsibleWorkspace {
  readonly dir: string;
  readonly #knownHosts: string;

  /** `inventory` is the YAML of ansibleInventory(); `knownHosts` the file Ansible's ssh verifies against. */
  constructor(dir: string, inventory: string, knownHosts: string) {
    this.dir = dir;
    this.#knownHosts = knownHosts;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'hosts.yml'), inventory);
  }

  /** `collections`: where the collection is installed (ANSIBLE_COLLECTIONS_PATH). */
  async play(playbook: string, options: { forks: number; extraVars?: Record<string, unknown>; timeoutMs?: number; collections?: string }): Promise<PlaybookRun> {
    const controlPathDir = join(this.dir, 'cp');
    rmSync(controlPathDir, { recursive: true, force: true });
    mkdirSync(controlPathDir, { recursive: true });
    const config = join(this.dir, 'ansible.cfg');
    writeFileSync(config, ansibleConfig({ forks: options.forks, knownHosts: this.#knownHosts, controlPathDir, localTemp: join(this.dir, 'tmp') }));
    const argv = ['ansible-playbook', '-i', join(this.dir, 'hosts.yml'), playbook];
    if (options.extraVars) argv.push('--extra-vars', JSON.stringify(options.extraVars));
    const r = await measure(argv, {
      cwd: this.dir,
      env: { ANSIBLE_CONFIG: config, ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_NOCOLOR: '1', ...(options.collections ? { ANSIBLE_COLLECTIONS_PATH: options.collections } : {}) },
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
    let parsed: ReturnType<typeof parseJsonCallback> = { tasks: [], stats: {}, remoteRuns: {} };
    try {
      parsed = parseJsonCallback(r.stdout);
    } catch {
      // no document: the run died before the callback wrote it; `output` says why
    }
    return { code: r.code, wallMs: r.wallMs, ...parsed, output: `${r.stdout.slice(-4000)}${r.stderr.slice(-2000)}` };
  }
}

/** A workspace for a lab's inventory: host variables from its plans, driver versions from its tarballs. */
export async function workspaceFor(inventoryPath: string, knownHostsPath: string, dir: string): Promise<AnsibleWorkspace> {
  const plans = loadInventory(inventoryPath, { checkLocalFiles: true }).hosts;
  const first = plans[0]!;
  const pf = await readTarball(first.driver.pfModule, first.driver.pfTarball, 'pf');
  const vf = await readTarball(first.driver.vfModule, first.driver.vfTarball, 'vf');
  return new AnsibleWorkspace(dir, ansibleInventory(plans, { pf: pf.version, vf: vf.version }), knownHostsPath);
}
