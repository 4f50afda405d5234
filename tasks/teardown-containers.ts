// Teardown of container-create: the containers it created (marked in their config, or noted on the
// node while it created them: node/lxc/ownership.ts) stopped and destroyed (lxc-destroy removes
// their directory: config, rootfs, hooks); a container of the inventory's name it did not create,
// or took with --adopt, is left in place and named. The template files it patched are restored
// from their backups, with the backup's mode and owner, where they are still as the patch left
// them; lxc.service disabled again when container-create noted that it enabled it (Debian's
// package enables it by itself).
import { commandLine } from '../hosts/quote.ts';
import { FatalError, tail } from '../core/errors.ts';
import type { Host } from '../hosts/host.ts';
import type { HostPlan, TemplatePatch } from '../inventory/plan.ts';
import { BACKUP_SUFFIX, patchState, restorePatched, uniquePatches } from '../node/lxc/template-patch.ts';
import { creationRecord, hasCreationRecord, ownerOf, type ContainerOwner } from '../node/lxc/ownership.ts';
import { lxcPathOf } from '../node/lxc/observe.ts';
import { LXC_SERVICE, LXC_SERVICE_MARK, autostartService } from '../node/lxc/autostart.ts';
import { parseLxcInfo } from '../node/parse/lxc-info.ts';
import type { CheckResult, Stage, StageContext } from '../engine/stage.ts';
import { CHANGED_SINCE, removeFile, type KeptFile } from '../node/files/owned-files.ts';

const STOP_TIMEOUT_MS = 60_000;

interface ContainerNow {
  name: string;
  /** null: no such container. */
  state: string | null;
  /** Whose the container is (null: no such container). */
  owner: ContainerOwner | null;
  /** container-create's record that it was creating this container is on the node. */
  creating: boolean;
}

/** Ours to destroy: marked as created, or unmarked while our record says we were creating it. */
const ours = (c: ContainerNow): boolean => c.owner === 'created' || (c.owner === 'foreign' && c.creating);

/** A patched template file: restorable (still as patched, backup there), changed since, or nothing to do. */
type PatchNow = { patch: TemplatePatch; backup: string; state: 'restore'; original: string } | { patch: TemplatePatch; backup: string; state: 'changed' | 'none' };

interface Observed {
  containers: ContainerNow[];
  patches: PatchNow[];
  /** container-create enabled lxc.service (its mark is there): whether it is still enabled. */
  lxcService: 'ours-enabled' | 'ours-disabled' | 'not-ours';
}

async function containerNow(host: Host, lxcpath: string, name: string): Promise<ContainerNow> {
  const config = await host.readFile(`${lxcpath}/${name}/config`);
  const creating = await hasCreationRecord(host, name);
  if (config === undefined) return { name, state: null, owner: null, creating };
  return { name, state: parseLxcInfo((await host.run(['lxc-info', '-n', name])).stdout).state, owner: ownerOf(config), creating };
}

async function patchNow(host: Host, patch: TemplatePatch): Promise<PatchNow> {
  const backup = `${patch.file}${BACKUP_SUFFIX}`;
  const original = await host.readFile(backup);
  if (original === undefined) return { patch, backup, state: 'none' };
  const s = patchState(patch, original);
  const current = await host.readFile(patch.file);
  // What container-create wrote from this backup: the backup patched.
  const written = s.state === 'pending' ? s.patched : original;
  return current === written ? { patch, backup, state: 'restore', original } : { patch, backup, state: 'changed' };
}

async function observe(ctx: StageContext): Promise<Observed> {
  const lxcpath = ctx.plan.containers.length === 0 ? '' : await lxcPathOf(ctx.host);
  const containers: ContainerNow[] = [];
  for (const c of ctx.plan.containers) containers.push(await containerNow(ctx.host, lxcpath, c.name));
  const patches: PatchNow[] = [];
  for (const p of uniquePatches(ctx.plan.containers.flatMap((c) => c.templatePatches))) patches.push(await patchNow(ctx.host, p));
  const marked = (await ctx.host.readFile(LXC_SERVICE_MARK)) !== undefined;
  const lxcService = !marked ? 'not-ours' : (await autostartService(ctx.host)) === 'enabled' ? 'ours-enabled' : 'ours-disabled';
  return { containers, patches, lxcService };
}

const NOT_OURS: Record<Exclude<ContainerOwner, 'created'>, string> = {
  adopted: 'taken with --adopt, not created by sriov-lxc: left in place (its config still names the VF); lxc-destroy -n NAME removes it',
  foreign: 'not created by sriov-lxc (no mark in its config): left in place',
};

const kept = (o: Observed): KeptFile[] => [
  ...o.containers.filter((c) => c.owner !== null && !ours(c)).map((c) => ({ path: `container ${c.name}`, why: NOT_OURS[c.owner as Exclude<ContainerOwner, 'created'>].replace('NAME', c.name) })),
  ...o.patches.filter((p) => p.state === 'changed').map((p) => ({ path: p.patch.file, why: `${CHANGED_SINCE} (the original is in ${p.backup})` })),
];

/** What is left to do: our containers to destroy, records to drop, templates to restore, lxc.service. */
function planOf(o: Observed): string[] {
  return [
    ...o.containers.filter((c) => c.state !== null && ours(c)).map((c) => `${c.state === 'STOPPED' ? '' : 'stop and '}destroy ${c.name} (${c.state})`),
    ...o.containers.filter((c) => c.creating).map((c) => `remove ${creationRecord(c.name)}`),
    ...o.patches.filter((p) => p.state === 'restore').map((p) => `restore ${p.patch.file} from ${p.backup} (template patch ${p.patch.name})`),
    ...(o.lxcService === 'not-ours' ? [] : [`${o.lxcService === 'ours-enabled' ? `disable ${LXC_SERVICE}, which container-create enabled; ` : ''}remove ${LXC_SERVICE_MARK}`]),
  ];
}

async function mustRun(host: Host, argv: string[], what: string, hint: string): Promise<void> {
  const r = await host.exec(argv, { timeoutMs: STOP_TIMEOUT_MS });
  if (r.code !== 0) throw new FatalError(`${what} failed (exit ${r.code}): ${tail(r.stderr || r.stdout, 3)}`, { command: commandLine(argv), code: r.code, stderrTail: tail(r.stderr), hint });
}

export const containersTeardownStage: Stage = {
  id: 'teardown-containers',
  title: 'Stop and destroy the containers',
  inputs: (plan: HostPlan) => ({ containers: plan.containers.map((c) => [c.name, c.templatePatches]) }),

  async check(ctx): Promise<CheckResult> {
    const o = await observe(ctx);
    const plan = planOf(o);
    for (const k of kept(o)) ctx.log(`${k.path}: ${k.why}`);
    if (plan.length === 0) {
      const left = o.containers.filter((c) => c.owner !== null).map((c) => c.name);
      const gone = ctx.plan.containers.map((c) => c.name).filter((n) => !left.includes(n));
      const reason = [gone.length > 0 ? `${gone.join(', ')}: not on the node` : '', left.length > 0 ? `${left.join(', ')}: not sriov-lxc's, left in place` : ''].filter((x) => x !== '').join('; ');
      return { done: true, reason: reason || 'no containers planned', outputs: { kept: kept(o) } };
    }
    return { done: false, plan };
  },

  async apply(ctx) {
    const o = await observe(ctx);
    for (const c of o.containers) {
      if (c.state !== null && ours(c)) {
        if (c.state !== 'STOPPED') await mustRun(ctx.host, ['lxc-stop', '-n', c.name, '-k'], `lxc-stop of ${c.name}`, `lxc-info -n ${c.name} on the node`);
        await mustRun(ctx.host, ['lxc-destroy', '-n', c.name], `lxc-destroy of ${c.name}`, `lxc-destroy -n ${c.name} on the node shows why`);
      }
      if (c.creating) await removeFile(ctx.host, creationRecord(c.name));
    }
    for (const p of o.patches) {
      if (p.state === 'restore') await restorePatched(ctx.host, p.patch, p.original);
    }
    if (o.lxcService === 'ours-enabled') await ctx.host.run(['systemctl', 'disable', LXC_SERVICE]);
    if (o.lxcService !== 'not-ours') await removeFile(ctx.host, LXC_SERVICE_MARK);
  },

  async verify(ctx) {
    const o = await observe(ctx);
    const left = planOf(o);
    if (left.length > 0) throw new FatalError(`${ctx.host.name}: still to do after teardown: ${left.join('; ')}`, { hint: 'lxc-ls -f on the node; run teardown again' });
    return { kept: kept(o) };
  },
};
