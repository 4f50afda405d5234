// After the reboot stage: the params that came up in the trial boot become the node's
// configuration (the params file, grub.cfg regenerated or every BLS entry, the trial entry
// removed), so every later boot has them. A separate stage because verify is read-only: the reboot
// stage proves the trial, this one acts on the proof. Refuses to make params the default that no
// boot has shown to work. With trialBoot: false, kernel-cmdline has done all this already.
import type { HostPlan } from '../inventory/plan.ts';
import type { Stage, StageContext } from '../engine/stage.ts';
import { bootRunOf, cmdlineTrio, type BootRun } from '../node/boot/cmdline-trio.ts';
import { PROVISION_TRIO } from '../node/boot/trio-ids.ts';

const trio = cmdlineTrio('add', PROVISION_TRIO);
const run = (ctx: StageContext): Promise<BootRun> => bootRunOf(ctx);

export const kernelCmdlineCommitStage: Stage = {
  id: PROVISION_TRIO.commit,
  title: 'Make the kernel command line the default',
  // The same inputs as kernel-cmdline: a change of the params re-opens the whole trio.
  inputs: (plan: HostPlan) => ({ kernelParams: plan.kernelParams, iommu: plan.iommu, pfModule: plan.driver.pfModule, maxVfs: plan.pfs.map((p) => p.vfCreation) }),
  retryFrom: PROVISION_TRIO.arm,
  check: async (ctx) => trio.commit.check(await run(ctx)),
  apply: async (ctx) => trio.commit.apply(await run(ctx)),
  verify: async (ctx) => trio.commit.verify(await run(ctx)),
};
