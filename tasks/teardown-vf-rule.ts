// Teardown of vf-verify: the udev rule that sets the VF count of PFs with vfCreation: sysfs at
// every boot, removed if it is still what vf-verify writes from the plan (the rule names each PF
// by its PCI address, read from sysfs as vf-verify reads it). The VFs themselves go with the
// reboot that follows (teardown-reboot).
import { FatalError } from '../core/errors.ts';
import type { Host } from '../hosts/host.ts';
import type { HostPlan } from '../inventory/plan.ts';
import type { CheckResult, Stage } from '../engine/stage.ts';
import { UDEV_RULES_PATH, udevRules } from '../node/vfs/persist-rule.ts';
import { parseSysfsSurvey, sysfsSurveyArgv } from '../node/vfs/sysfs-survey.ts';
import { judgeFiles, keptOf, removeFile, type FileVerdict, type OwnedFile } from '../node/files/owned-files.ts';

/** The rules file vf-verify writes for this plan; undefined when it writes none (or a PF is not found). */
async function ourRules(host: Host, plan: HostPlan): Promise<OwnedFile | undefined> {
  const persisted = plan.pfs.filter((pf) => pf.vfCreation === 'sysfs' && pf.vfs > 0);
  if (persisted.length === 0) return undefined;
  const counts = [];
  for (const pf of persisted) {
    const pci = parseSysfsSurvey((await host.run(sysfsSurveyArgv(pf.name))).stdout).pci;
    if (pci === null) return undefined;
    counts.push({ pf: pf.name, pci, vfs: pf.vfs });
  }
  return { path: UDEV_RULES_PATH, ours: udevRules(counts) };
}

async function observe(host: Host, plan: HostPlan): Promise<FileVerdict[]> {
  const ours = await ourRules(host, plan);
  if (ours) return judgeFiles(host, [ours]);
  // Nothing we would write: a rules file there is the operator's (or of another plan), unless absent.
  const current = await host.readFile(UDEV_RULES_PATH);
  return current === undefined ? [{ path: UDEV_RULES_PATH, state: 'absent' }] : [{ path: UDEV_RULES_PATH, state: 'changed', current, ours: '' }];
}

export const vfRuleTeardownStage: Stage = {
  id: 'teardown-vf-verify',
  title: 'Remove the persisted VF counts',
  inputs: (plan: HostPlan) => ({ pfs: plan.pfs.map((pf) => [pf.name, pf.vfs, pf.vfCreation]) }),

  async check(ctx): Promise<CheckResult> {
    const files = await observe(ctx.host, ctx.plan);
    for (const k of keptOf(files)) ctx.log(`${k.path}: ${k.why}`);
    if (files.every((f) => f.state !== 'ours')) return { done: true, reason: `no VF count persisted by sriov-lxc in ${UDEV_RULES_PATH}`, outputs: { kept: keptOf(files) } };
    return { done: false, plan: [`remove ${UDEV_RULES_PATH} (the VFs go with the next boot)`] };
  },

  async apply(ctx) {
    const files = await observe(ctx.host, ctx.plan);
    for (const f of files) if (f.state === 'ours') await removeFile(ctx.host, f.path);
  },

  async verify(ctx) {
    const files = await observe(ctx.host, ctx.plan);
    if (files.some((f) => f.state === 'ours')) throw new FatalError(`${ctx.host.name}: ${UDEV_RULES_PATH} is still there after removing it`, { hint: 'run teardown again' });
    return { kept: keptOf(files) };
  },
};
