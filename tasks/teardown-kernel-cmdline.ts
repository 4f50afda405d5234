// Teardown of the kernel params: the first of the trio teardown-kernel-cmdline → teardown-reboot
// → teardown-kernel-cmdline-commit, provisioning's trio run backwards (node/boot/cmdline-trio.ts)
// on whatever boot method the node has: with a trial boot (the default), the command line without
// sriov-lxc's params goes into a one-shot trial entry copied from the default entry (panic=N: a
// kernel that does not come up falls back to the unchanged default by itself); teardown-reboot
// boots it once and teardown-kernel-cmdline-commit restores the node's configuration only after
// it came up. Without a trial (trialBoot: false) the configuration is restored now. What it takes
// off (and puts back) is recorded in its outputs: the later stages check against that.
import type { HostPlan } from '../inventory/plan.ts';
import type { Stage, StageContext } from '../engine/stage.ts';
import { bootRunOf, cmdlineTrio, type BootRun } from '../node/boot/cmdline-trio.ts';
import { TEARDOWN_TRIO } from '../node/boot/trio-ids.ts';

const trio = cmdlineTrio('remove', TEARDOWN_TRIO);
const run = (ctx: StageContext): Promise<BootRun> => bootRunOf(ctx);

export const kernelCmdlineTeardownStage: Stage = {
  id: TEARDOWN_TRIO.arm,
  title: 'Take the params off the kernel command line',
  inputs: (plan: HostPlan) => ({ kernelParams: plan.kernelParams, iommu: plan.iommu, pfModule: plan.driver.pfModule, maxVfs: plan.pfs.map((p) => p.vfCreation), trialBoot: plan.trialBoot }),
  check: async (ctx) => trio.arm.check(await run(ctx)),
  apply: async (ctx) => trio.arm.apply(await run(ctx)),
  verify: async (ctx) => trio.arm.verify(await run(ctx)),
};
