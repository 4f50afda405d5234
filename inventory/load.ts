// Reads, validates and resolves an inventory file into HostPlans. Nothing here touches a host:
// every error is found before the first connection, and each names the file, the field's path,
// the bad value and what is allowed.
import { readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { UsageError } from '../core/errors.ts';
import { commandLineProblem, fioDirectoryProblem, hugepagesMountProblem, kernelParamProblems, memoryProblem, templatePatchProblem } from './host-checks.ts';
import { deriveMac, normaliseMac } from './macs.ts';
import { resolveNic } from './nic-resolve.ts';
import type { ContainerPlan, HostPlan, Inventory, PfPlan, VfSettings } from './plan.ts';
import { defaultsSchema, hostSchema, inventorySchema, type HostInput } from './schema.ts';
import { NAMED_PATCHES } from './template-patches.ts';

export interface LoadOptions {
  /** Check that local files named by the inventory (driver tarballs, keys, known_hosts) exist. */
  checkLocalFiles?: boolean;
  /** Where relative local paths start; default: the inventory file's directory. */
  baseDir?: string;
  /** How problems name the source and its fields, when the inventory was built from another form (Ansible variables). */
  naming?: Naming;
}

export type Path = (string | number)[];

export interface Naming {
  /** What was invalid, e.g. `inventory /path/inventory.yaml`. */
  title: string;
  /** The name a user wrote for the field at `path` (from `hosts`). */
  field(path: Path): string;
  hint: string;
}

const inventoryNaming = (file: string): Naming => ({
  title: `inventory ${file}`,
  field: formatPath,
  hint: 'fix the fields named above; inventory.example.yaml documents every field',
});

class Problems {
  readonly lines: string[] = [];
  readonly naming: Naming;
  constructor(naming: Naming) {
    this.naming = naming;
  }
  add(path: Path, value: unknown, message: string): void {
    const shown = value === undefined ? '' : ` ${shownValue(value)}`;
    this.lines.push(`${this.naming.field(path)}:${shown} ${message}`);
  }
  throwIfAny(): void {
    if (this.lines.length === 0) return;
    const shown = this.lines.slice(0, 20);
    const more = this.lines.length > shown.length ? `\n  … and ${this.lines.length - shown.length} more` : '';
    throw new UsageError(`invalid ${this.naming.title}:\n  ${shown.join('\n  ')}${more}`, { hint: this.naming.hint });
  }
}

// A value is echoed to name it, not to print it back whole: a 10 MB string stays a line.
const SHOWN_MAX = 300;

function shownValue(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length <= SHOWN_MAX ? json : `${json.slice(0, SHOWN_MAX)}… (${json.length} characters)`;
}

export function formatPath(path: Path): string {
  return path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s === '' ? p : `${s}.${p}`), '') || '(top level)';
}

function valueAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

function reportZod(problems: Problems, error: z.ZodError, input: unknown, prefix: Path): void {
  for (const issue of error.issues) {
    const path = [...prefix, ...(issue.path as Path)];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.add([...path, key], undefined, 'unknown key (check its spelling and inventory.example.yaml)');
    } else if (issue.code === 'invalid_key') {
      problems.add(path, String(path.at(-1)), `is not a valid key: ${issue.issues.map((i) => i.message).join('; ')}`);
    } else if (issue.code === 'invalid_value') {
      problems.add(path, valueAt(input, issue.path as Path), `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`);
    } else if (issue.code === 'invalid_type' && valueAt(input, issue.path as Path) === undefined) {
      problems.add(path, undefined, `is required (${issue.expected})`);
    } else {
      problems.add(path, valueAt(input, issue.path as Path), issue.message);
    }
  }
}

export function loadInventory(file: string, options: LoadOptions = {}): Inventory {
  const path = resolve(file);
  if (!existsSync(path)) {
    throw new UsageError(`inventory file not found: ${path}`, {
      hint: 'pass --inventory FILE, or copy inventory.example.yaml to ./inventory.yaml and edit it',
    });
  }
  return parseInventory(readFileSync(path, 'utf8'), path, options);
}

export function parseInventory(text: string, path: string, options: LoadOptions = {}): Inventory {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new UsageError(`invalid YAML in ${path}:\n  ${doc.errors.map((e) => e.message.split('\n')[0]).join('\n  ')}`, {
      hint: 'fix the YAML syntax at the line and column shown',
    });
  }
  return inventoryFromValue(toJs(doc, path), path, options);
}

/** Validates and resolves an inventory already read into plain values (`path` names it). */
export function inventoryFromValue(raw: unknown, path: string, options: LoadOptions = {}): Inventory {
  const problems = new Problems(options.naming ?? inventoryNaming(path));
  for (const at of protoKeys(raw, [])) problems.add(at, undefined, 'unknown key (check its spelling and inventory.example.yaml)');
  problems.throwIfAny();
  const top = inventorySchema.safeParse(raw ?? {});
  if (!top.success) {
    reportZod(problems, top.error, raw, []);
    problems.throwIfAny();
  }
  const { defaults = {}, hosts } = top.data!;
  if (Object.keys(hosts).length === 0) problems.add(['hosts'], undefined, 'has no host: add at least one under hosts:');
  const defaultsCheck = defaultsSchema.safeParse(defaults);
  if (!defaultsCheck.success) reportZod(problems, defaultsCheck.error, defaults, ['defaults']);
  problems.throwIfAny();

  const baseDir = options.baseDir ?? dirname(path);
  const plans: HostPlan[] = [];
  for (const [name, hostRaw] of Object.entries(hosts)) {
    // A host's keys replace the same keys of `defaults` as a whole (no deep merge: what you see
    // under a host is what it gets for that key).
    const merged = { ...(defaults as Record<string, unknown>), ...hostRaw };
    const parsed = hostSchema.safeParse(merged);
    if (!parsed.success) {
      reportZod(problems, parsed.error, merged, ['hosts', name]);
      continue;
    }
    const plan = resolveHost(name, parsed.data, baseDir, problems, options);
    if (plan) plans.push(plan);
  }
  problems.throwIfAny();
  checkUniqueNodes(plans, problems);
  checkUniqueMacs(plans, problems);
  problems.throwIfAny();
  return { path, hosts: plans };
}

// Aliases expanding past this many nodes are refused (yaml's guard against "billion laughs"); an
// inventory has no need for more than a few.
const MAX_ALIAS_COUNT = 100;

function toJs(doc: ReturnType<typeof parseDocument>, path: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    throw new UsageError(`invalid YAML in ${path}: ${(error as Error).message} (aliases expand to too many nodes)`, {
      hint: `write the values out, or use fewer aliases (*name): at most ${MAX_ALIAS_COUNT} expanded nodes`,
    });
  }
}

/** Paths of `__proto__` keys: the schema's records would drop them silently (they set a prototype). */
function protoKeys(value: unknown, at: Path): Path[] {
  if (value === null || typeof value !== 'object') return [];
  const found: Path[] = [];
  for (const [key, child] of Object.entries(value)) {
    const path = [...at, Array.isArray(value) ? Number(key) : key];
    if (key === '__proto__') found.push(path);
    else found.push(...protoKeys(child, path));
  }
  return found;
}

function resolveLocal(baseDir: string, p: string): string {
  if (p === '~' || p.startsWith('~/')) return resolve(homedir(), p.slice(2));
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

function resolveHost(name: string, h: HostInput, baseDir: string, problems: Problems, options: LoadOptions): HostPlan | undefined {
  const at = (...p: Path): Path => ['hosts', name, ...p];
  const before = problems.lines.length;
  const localFile = (field: Path, p: string | undefined): string | undefined => {
    if (p === undefined) return undefined;
    const abs = resolveLocal(baseDir, p);
    if (options.checkLocalFiles && !existsSync(abs)) problems.add(field, p, `names a file that does not exist (${abs})`);
    return abs;
  };

  const pfNames = new Set<string>();
  const pfs: PfPlan[] = h.pfs.map((pf, i) => {
    if (pfNames.has(pf.name)) problems.add(at('pfs', i, 'name'), pf.name, 'is listed twice on this host');
    pfNames.add(pf.name);
    if (pf.macs !== 'auto' && pf.macs.length !== pf.vfs) {
      problems.add(at('pfs', i, 'macs'), `${pf.macs.length} MACs`, `must list exactly one MAC per VF (vfs: ${pf.vfs}), or be "auto"`);
    }
    const macs = pf.macs === 'auto' ? Array.from({ length: pf.vfs }, (_, vf) => deriveMac(name, pf.name, vf)) : pf.macs.map(normaliseMac);
    for (const key of Object.keys(pf.vfSettings)) {
      if (key !== 'all' && Number(key) >= pf.vfs) problems.add(at('pfs', i, 'vfSettings', key), undefined, `is not a VF of ${pf.name} (it has ${pf.vfs} VFs: 0-${pf.vfs - 1})`);
    }
    const vfSettings: VfSettings[] = Array.from({ length: pf.vfs }, (_, vf) => ({ ...pf.vfSettings.all, ...pf.vfSettings[String(vf)] }));
    // the initial method; resolveNic settles auto for the NIC
    const vfCreation = pf.vfCreation === 'auto' ? 'max_vfs' : pf.vfCreation;
    return { name: pf.name, vfs: pf.vfs, vfCreation, vfCreationSetting: pf.vfCreation, vfSettings, macs, autoMacs: pf.macs === 'auto' };
  });

  if (h.driver.source === 'tarball') {
    if (!h.driver.pf) problems.add(at('driver', 'pf'), undefined, 'is required with source: tarball (path of the ixgbe tarball)');
    if (!h.driver.vf) problems.add(at('driver', 'vf'), undefined, 'is required with source: tarball (path of the ixgbevf tarball)');
  } else if (h.driver.pf || h.driver.vf) {
    problems.add(at('driver'), undefined, 'names tarballs but source is inbox: set source: tarball or remove pf/vf');
  }

  const containerNames = new Set<string>();
  const usedVfs = new Map<string, string>();
  const containers: ContainerPlan[] = h.containers.map((c, i) => {
    if (containerNames.has(c.name)) problems.add(at('containers', i, 'name'), c.name, 'is used by two containers on this host');
    containerNames.add(c.name);
    const pf = pfs.find((p) => p.name === c.vf.pf);
    if (!pf) {
      problems.add(at('containers', i, 'vf', 'pf'), c.vf.pf, `is not a PF of this host (PFs: ${[...pfNames].join(', ')})`);
    } else if (c.vf.index >= pf.vfs) {
      problems.add(at('containers', i, 'vf', 'index'), c.vf.index, `is out of range: ${pf.name} has ${pf.vfs} VFs (0-${pf.vfs - 1})`);
    }
    const vfKey = `${c.vf.pf}/${c.vf.index}`;
    const owner = usedVfs.get(vfKey);
    if (owner) problems.add(at('containers', i, 'vf'), vfKey, `is already given to container ${owner}: a VF belongs to one container`);
    usedVfs.set(vfKey, c.name);
    return {
      name: c.name,
      template: c.template,
      templateArgs: c.templateArgs,
      templatePatches: c.templatePatches.map((p) => (typeof p === 'string' ? NAMED_PATCHES[p]! : { name: 'custom', ...p })),
      vf: c.vf,
      address: c.address,
      gateway: c.gateway,
      autostart: c.autostart,
      limits: c.limits,
      devices: c.devices,
      rate: c.rate,
    };
  });

  hostChecks(h, problems, at);

  const driver = {
    source: h.driver.source,
    pfTarball: localFile(at('driver', 'pf'), h.driver.pf),
    vfTarball: localFile(at('driver', 'vf'), h.driver.vf),
    pfModule: h.driver.pfModule ?? '',
    vfModule: h.driver.vfModule ?? '',
  };
  if (problems.lines.length > before) return undefined;

  const unresolved: HostPlan = {
    name,
    ssh: {
      address: h.address,
      user: h.user,
      port: h.port,
      key: localFile(at('key'), h.key),
      agent: h.agent,
      knownHosts: localFile(at('knownHosts'), h.knownHosts),
      sshConfigHost: h.sshConfigHost,
    },
    distro: h.distro,
    nic: { model: null, setting: h.nic, pinnedModules: { pf: h.driver.pfModule, vf: h.driver.vfModule } },
    iommu: h.iommu,
    hugepages: h.hugepages,
    extraKernelParams: h.kernelParams,
    kernelParams: [],
    trialBoot: h.trialBoot,
    driver,
    pfs,
    containers,
    benchmark: h.benchmark,
  };
  const { plan, problems: nicProblems } = resolveNic(unresolved, h.nic === 'auto' ? null : h.nic);
  for (const p of nicProblems) problems.add(at('nic'), h.nic, p);
  if (problems.lines.length > before) return undefined;
  const tooLong = commandLineProblem(plan.kernelParams);
  if (tooLong) {
    problems.add(at('kernelParams'), undefined, `with the planned params would ${tooLong}`);
    return undefined;
  }
  return plan;
}

function hostChecks(h: HostInput, problems: Problems, at: (...p: Path) => Path): void {
  if (h.hugepages) {
    const mount = hugepagesMountProblem(h.hugepages.mount);
    if (mount) problems.add(at('hugepages', 'mount'), h.hugepages.mount, mount);
  }
  const fio = fioDirectoryProblem(h.benchmark.fio.directory);
  if (fio) problems.add(at('benchmark', 'fio', 'directory'), h.benchmark.fio.directory, fio);
  for (const f of kernelParamProblems(h.kernelParams, h.hugepages, h.allowUnsafeKernelParams)) problems.add(at(...f.path), f.value, f.message);
  h.containers.forEach((c, i) => {
    if (c.limits.memory !== undefined) {
      const memory = memoryProblem(c.limits.memory);
      if (memory) problems.add(at('containers', i, 'limits', 'memory'), c.limits.memory, memory);
    }
    c.templatePatches.forEach((p, j) => {
      const outside = typeof p === 'string' ? undefined : templatePatchProblem(p.file);
      if (outside && typeof p !== 'string') problems.add(at('containers', i, 'templatePatches', j, 'file'), p.file, outside);
    });
  });
}

/**
 * One node under two names would be provisioned twice at once (two plans, two locks, one machine):
 * the same address and port, or the same ssh_config alias, is refused.
 */
function checkUniqueNodes(plans: readonly HostPlan[], problems: Problems): void {
  const seen = new Map<string, string>();
  for (const plan of plans) {
    const keys = [`${plan.ssh.address.toLowerCase().replace(/\.$/, '')} port ${plan.ssh.port}`];
    if (plan.ssh.sshConfigHost) keys.push(`ssh_config Host ${plan.ssh.sshConfigHost}`);
    for (const key of keys) {
      const first = seen.get(key);
      if (first) problems.add(['hosts', plan.name], undefined, `is the same node as ${problems.naming.field(['hosts', first])} (${key}): list each node once`);
      else seen.set(key, plan.name);
    }
  }
}

/** A MAC may appear once in the whole inventory: two VFs with one MAC break the switch's tables. */
function checkUniqueMacs(plans: readonly HostPlan[], problems: Problems): void {
  const seen = new Map<string, string>();
  for (const plan of plans) {
    for (const pf of plan.pfs) {
      pf.macs.forEach((mac, vf) => {
        const where = problems.naming.field(['hosts', plan.name, 'pfs', plan.pfs.indexOf(pf), 'macs', vf]);
        const first = seen.get(mac);
        if (first) problems.add(['hosts', plan.name, 'pfs', plan.pfs.indexOf(pf), 'macs', vf], mac, `duplicates ${first}${pf.autoMacs ? ' (derived by auto)' : ''}: every MAC must be unique in the inventory`);
        else seen.set(mac, where);
      });
    }
  }
}
