// After teardown's reboot: the node's own kernel command line becomes its configuration again (a
// backup restored, our drop-in removed, or only our params taken off a file the operator changed
// since: kept and named), the trial entry and a one-shot naming it removed, and a backup removed
// last (it is what the restore is computed from). Refuses to change the default when no boot has
// shown that the command line without the params works.
import type { HostPlan } from '../inventory/plan.ts';
import type { Stage, StageContext } from '../engine/stage.ts';
import { bootRunOf, cmdlineTrio, type BootRun } from '../node/boot/cmdline-trio.ts';
import { TEARDOWN_TRIO } from '../node/boot/trio-ids.ts';

const trio = cmdlineTrio('remove', TEARDOWN_TRIO);
const run = (ctx: StageContext): Promise<BootRun> => bootRunOf(ctx);

export const kernelCmdlineCommitTeardownStage: Stage = {
  id: TEARDOWN_TRIO.commit,
  title: 'Restore the default kernel command line',
  inputs: (plan: HostPlan) => ({ kernelParams: plan.kernelParams, iommu: plan.iommu, pfModule: plan.driver.pfModule, maxVfs: plan.pfs.map((p) => p.vfCreation), trialBoot: plan.trialBoot }),
  retryFrom: TEARDOWN_TRIO.arm,
  check: async (ctx) => trio.commit.check(await run(ctx)),
  apply: async (ctx) => trio.commit.apply(await run(ctx)),
  verify: async (ctx) => trio.commit.verify(await run(ctx)),
};
