// Stage 3, modules + hugepages (paper section 3): load the NIC drivers at boot in the right order,
// keep the max_vfs option for driver reloads, reserve huge pages and mount hugetlbfs, now and at
// every boot. Files are whole files of ours, or a managed block in /etc/fstab.
import type { Host } from '../hosts/host.ts';
import { FatalError } from '../core/errors.ts';
import type { HostPlan } from '../inventory/plan.ts';
import { unifiedDiff } from '../node/parse/diff.ts';
import type { CheckResult, FileDiff, Stage, StageContext, StageOutputs } from '../engine/stage.ts';
import { FSTAB, MODPROBE_OPTIONS, MODULES_LOAD, SYSCTL_HUGEPAGES, changed, wantedFiles, type FileState } from '../node/files/modules-hugepages-files.ts';
import { hugepagesReads, readHugepages, recordHugetlbfsFound, shortfall, type HugepagesNow } from '../node/facts/hugepages.ts';
import { observe } from '../hosts/observing-host.ts';
import { runSequence } from '../hosts/sequence.ts';

interface State {
  files: FileState[];
  hugepages: HugepagesNow | undefined;
}

async function readState(ctx: StageContext): Promise<State> {
  const paths = [MODULES_LOAD, MODPROBE_OPTIONS, SYSCTL_HUGEPAGES, FSTAB];
  await observe(ctx.host, [...paths.map((file) => ({ file })), ...(ctx.plan.hugepages ? hugepagesReads(ctx.plan.hugepages) : [])]);
  const texts = new Map<string, string | undefined>();
  for (const path of paths) texts.set(path, await ctx.host.readFile(path));
  const files = wantedFiles(ctx.plan, (path) => texts.get(path));
  const hugepages = ctx.plan.hugepages ? await readHugepages(ctx.host, ctx.plan.hugepages) : undefined;
  return { files, hugepages };
}

function fileDiff(f: FileState): FileDiff {
  return { path: f.path, diff: unifiedDiff(f.path, f.before ?? '', f.after ?? '') };
}

function pending(plan: HostPlan, state: State): string[] {
  const lines = state.files.filter(changed).map((f) => (f.after === undefined ? `remove ${f.path} (no longer planned)` : `${f.before === undefined ? 'create' : 'update'} ${f.path}`));
  const hp = plan.hugepages;
  const now = state.hugepages;
  if (hp && now) {
    const short = shortfall(hp, now);
    if (short) lines.push(`reserve huge pages now: sysctl -p ${SYSCTL_HUGEPAGES} (${short})`);
    if (!now.mounted && now.mountable) lines.push(`mount hugetlbfs (pagesize=${hp.size}) on ${hp.mount}`);
  }
  return lines;
}

async function writeFileState(host: Host, f: FileState): Promise<void> {
  if (f.after === undefined) await host.run(['rm', '-f', f.path]);
  else await host.writeFile(f.path, f.after, { mode: 0o644 });
}

function summary(plan: HostPlan, state: State): string {
  const modules = `${plan.driver.pfModule} then ${plan.driver.vfModule} load at boot`;
  const hp = plan.hugepages;
  if (!hp || !state.hugepages) return `${modules}; no huge pages planned`;
  const reserved = state.hugepages.reserved === undefined ? `${hp.count} ${hp.size} pages from the kernel cmdline` : `${state.hugepages.reserved} ${hp.size} pages reserved`;
  const mount = state.hugepages.mounted ? `hugetlbfs on ${hp.mount}` : `hugetlbfs on ${hp.mount} from the next boot`;
  return `${modules}; ${reserved}; ${mount}`;
}

export const modulesHugepagesStage: Stage = {
  id: 'modules-hugepages',
  title: 'Configure driver loading and huge pages',
  inputs: (plan: HostPlan) => ({ driver: { pf: plan.driver.pfModule, vf: plan.driver.vfModule }, pfs: plan.pfs.map((p) => [p.vfs, p.vfCreation]), hugepages: plan.hugepages ?? null }),

  async check(ctx): Promise<CheckResult> {
    const state = await readState(ctx);
    const plan = pending(ctx.plan, state);
    if (plan.length === 0) return { done: true, reason: summary(ctx.plan, state) };
    return { done: false, plan, diffs: state.files.filter(changed).map(fileDiff) };
  },

  async apply(ctx) {
    const state = await readState(ctx);
    const hp = ctx.plan.hugepages;
    // Before the first change: what was there stays at teardown.
    if (hp && state.hugepages && pending(ctx.plan, state).length > 0) await recordHugetlbfsFound(ctx.host, hp, state.hugepages);
    for (const f of state.files.filter(changed)) await writeFileState(ctx.host, f);
    if (!hp || !state.hugepages) return;
    const commands: string[][] = [];
    if (hp.size === '2M') commands.push(['sysctl', '-p', SYSCTL_HUGEPAGES]);
    if (!state.hugepages.mounted && state.hugepages.mountable) {
      // 0755 is enough: once mounted, the hugetlbfs root's own mode counts, not the directory's
      // (the paper's chmod 777 on /mnt/huge changed nothing that a process would see).
      commands.push(['mkdir', '-p', '-m', '0755', hp.mount]);
      commands.push(['mount', '-t', 'hugetlbfs', '-o', `pagesize=${hp.size}`, 'hugetlbfs', hp.mount]);
    }
    await runSequence(ctx.host, commands);
  },

  async verify(ctx): Promise<StageOutputs> {
    const state = await readState(ctx);
    const unwritten = state.files.filter(changed).map((f) => f.path);
    if (unwritten.length > 0) {
      throw new FatalError(`${ctx.host.name}: ${unwritten.join(', ')} do not have the planned content after writing`, { hint: 'something else on the node rewrites them (configuration management?); run with --dry-run to see the difference' });
    }
    const hp = ctx.plan.hugepages;
    const now = state.hugepages;
    if (!hp || !now) return { modulesLoad: MODULES_LOAD, hugepages: null };
    if (!now.mounted && now.mountable) {
      throw new FatalError(`${ctx.host.name}: no hugetlbfs is mounted on ${hp.mount} after mounting it`, { hint: `run \`findmnt ${hp.mount}\` and \`dmesg | tail\` on the node` });
    }
    const short = shortfall(hp, now);
    // Not fatal: the kernel hands out what contiguous memory it has; the boot reserves the rest early.
    if (short) ctx.log(`only ${short}: memory is fragmented; the reservation from ${SYSCTL_HUGEPAGES} at the next boot comes first (or lower hugepages.count)`);
    return {
      modulesLoad: MODULES_LOAD,
      hugepages: { size: hp.size, planned: hp.count, reserved: now.reserved ?? null, mount: hp.mount, mounted: now.mounted },
    };
  },
};
