// Teardown of modules-hugepages: modules-load.d, modprobe.d and sysctl.d files removed, our block
// taken out of /etc/fstab and the hugetlbfs unmounted, each only where it is still what
// modules-hugepages writes from the plan. The pages reserved now are freed by the reboot that
// follows. The mount point goes when it is an empty directory that no fstab line names any more;
// a hugetlbfs mounted, or a mount point there, before provisioning (modules-hugepages recorded what
// it found: node/facts/hugepages.ts) stays.
import { FatalError } from '../core/errors.ts';
import type { Host } from '../hosts/host.ts';
import type { HostPlan } from '../inventory/plan.ts';
import { FSTAB, FSTAB_BLOCK, MODPROBE_OPTIONS, MODULES_LOAD, SYSCTL_HUGEPAGES, fstabLine, modprobeOptionsText, modulesLoadText, sysctlText } from '../node/files/modules-hugepages-files.ts';
import { HUGETLBFS_FOUND, hugetlbfsMounted, readHugetlbfsFound } from '../node/facts/hugepages.ts';
import { findFstabEntry, parseFstab } from '../node/parse/fstab.ts';
import { ownedBlockLines, removeOwnedBlock } from '../node/parse/lines-file.ts';
import type { CheckResult, Stage, StageContext } from '../engine/stage.ts';
import { CHANGED_SINCE, judgeFiles, keptOf, removalDiff, removeFile, type FileVerdict, type KeptFile, type OwnedFile } from '../node/files/owned-files.ts';

function ownedFiles(plan: HostPlan): OwnedFile[] {
  const files: OwnedFile[] = [{ path: MODULES_LOAD, ours: modulesLoadText(plan) }];
  const modprobe = modprobeOptionsText(plan);
  if (modprobe !== undefined) files.push({ path: MODPROBE_OPTIONS, ours: modprobe });
  const sysctl = sysctlText(plan.hugepages);
  if (sysctl !== undefined) files.push({ path: SYSCTL_HUGEPAGES, ours: sysctl });
  return files;
}

/** /etc/fstab: our block as written (`after`: the file without it), changed by the operator, or absent. */
type FstabState = { state: 'absent' } | { state: 'ours'; current: string; after: string } | { state: 'changed' };

function fstabState(plan: HostPlan, current: string | undefined): FstabState {
  if (current === undefined || !plan.hugepages) return { state: 'absent' };
  const block = ownedBlockLines(current, FSTAB_BLOCK);
  if (block === null) return { state: 'absent' };
  if (block.length !== 1 || block[0] !== fstabLine(plan.hugepages)) return { state: 'changed' };
  return { state: 'ours', current, after: removeOwnedBlock(current, FSTAB_BLOCK).text };
}

interface Observed {
  files: FileVerdict[];
  fstab: FstabState;
  /** The hugetlbfs is mounted and no fstab line of anyone mounts it any more (after our block goes). */
  unmount: boolean;
  /** Then the mount point, which modules-hugepages created, goes too if it is (or will be) an empty directory. */
  rmdir: boolean;
  /** What was there before provisioning and stays (named in the report). */
  before: KeptFile[];
  /** modules-hugepages' record of what it found is to be removed: nothing was there before. */
  record: boolean;
}

async function observe(host: Host, plan: HostPlan): Promise<Observed> {
  const files = await judgeFiles(host, ownedFiles(plan));
  const text = await host.readFile(FSTAB);
  const fstab = fstabState(plan, text);
  const hp = plan.hugepages;
  let unmount = false;
  let rmdir = false;
  const before: KeptFile[] = [];
  const found = hp ? await readHugetlbfsFound(host, hp.mount) : undefined;
  if (hp && fstab.state !== 'changed') {
    const after = fstab.state === 'ours' ? fstab.after : (text ?? '');
    const stillInFstab = findFstabEntry(parseFstab(after), hp.mount) !== undefined;
    const mounted = await hugetlbfsMounted(host, hp);
    unmount = !stillInFstab && mounted && found?.mounted !== true;
    // find prints the directory only when it is empty (a mounted hugetlbfs with no files is empty too).
    const empty = (await host.exec(['find', hp.mount, '-maxdepth', '0', '-type', 'd', '-empty'])).stdout.trim() !== '';
    rmdir = !stillInFstab && empty && found?.dirExisted !== true && found?.mounted !== true;
    if (mounted && found?.mounted === true) before.push({ path: hp.mount, why: `a hugetlbfs was mounted there before provisioning: left mounted (${HUGETLBFS_FOUND})` });
    else if (empty && found?.dirExisted === true) before.push({ path: hp.mount, why: `the directory was there before provisioning: left in place (${HUGETLBFS_FOUND})` });
  }
  // The record goes once it protects nothing; otherwise it stays, for the next teardown too.
  const record = found !== undefined && !found.dirExisted && !found.mounted;
  return { files, fstab, unmount, rmdir, before, record };
}

function kept(o: Observed): KeptFile[] {
  const out = [...keptOf(o.files), ...o.before];
  if (o.fstab.state === 'changed') out.push({ path: FSTAB, why: `its sriov-lxc ${FSTAB_BLOCK} block ${CHANGED_SINCE} (the mount too)` });
  return out;
}

export const modulesHugepagesTeardownStage: Stage = {
  id: 'teardown-modules-hugepages',
  title: 'Remove driver loading and huge pages configuration',
  inputs: (plan: HostPlan) => ({ driver: [plan.driver.pfModule, plan.driver.vfModule], pfs: plan.pfs.map((p) => [p.vfs, p.vfCreation]), hugepages: plan.hugepages ?? null }),

  async check(ctx: StageContext): Promise<CheckResult> {
    const o = await observe(ctx.host, ctx.plan);
    const plan = o.files.filter((f) => f.state === 'ours').map((f) => `remove ${f.path}`);
    const diffs = [];
    if (o.fstab.state === 'ours') {
      plan.push(`remove the sriov-lxc ${FSTAB_BLOCK} block from ${FSTAB}`);
      diffs.push(removalDiff(FSTAB, o.fstab.current, o.fstab.after));
    }
    if (o.unmount && ctx.plan.hugepages) plan.push(`unmount the hugetlbfs on ${ctx.plan.hugepages.mount}`);
    if (o.rmdir && ctx.plan.hugepages) plan.push(`remove the empty mount point ${ctx.plan.hugepages.mount}`);
    if (o.record) plan.push(`remove ${HUGETLBFS_FOUND} (what provisioning found on the mount point)`);
    for (const k of kept(o)) ctx.log(`${k.path}: ${k.why}`);
    if (plan.length === 0) return { done: true, reason: 'no driver loading or huge pages configuration of sriov-lxc left', outputs: { kept: kept(o) } };
    return { done: false, plan, diffs };
  },

  async apply(ctx) {
    const o = await observe(ctx.host, ctx.plan);
    for (const f of o.files) if (f.state === 'ours') await removeFile(ctx.host, f.path);
    if (o.fstab.state === 'ours') await ctx.host.writeFile(FSTAB, o.fstab.after, { mode: 0o644 });
    if (o.unmount && ctx.plan.hugepages) await ctx.host.run(['umount', ctx.plan.hugepages.mount]);
    if (o.rmdir && ctx.plan.hugepages) await ctx.host.run(['rmdir', ctx.plan.hugepages.mount]);
    if (o.record) await removeFile(ctx.host, HUGETLBFS_FOUND);
  },

  async verify(ctx) {
    const o = await observe(ctx.host, ctx.plan);
    const left = [...o.files.filter((f) => f.state === 'ours').map((f) => f.path), ...(o.fstab.state === 'ours' ? [FSTAB] : []), ...(o.unmount ? [`the mount on ${ctx.plan.hugepages?.mount}`] : []), ...(o.record ? [HUGETLBFS_FOUND] : [])];
    if (left.length > 0) {
      throw new FatalError(`${ctx.host.name}: still there after removing: ${left.join(', ')}`, { hint: 'a process may hold the hugetlbfs (fuser -m on the mount point); run teardown again' });
    }
    return { kept: kept(o) };
  },
};
