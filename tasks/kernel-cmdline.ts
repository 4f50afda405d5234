// Stage 4, kernel-cmdline (paper section 3: "intel_iommu=off default_hugepagesz=2M hugepagesz=2M
// ixgbe.max_vfs=8,8"): the plan's kernel params for the next boot, the first of the trio
// kernel-cmdline → reboot → kernel-cmdline-commit (node/boot/cmdline-trio.ts, which teardown runs
// backwards). Two methods:
//
// - trial boot (the default, plan.trialBoot): the params go into a trial entry of their own, a
//   copy of the default entry plus panic=N (/etc/grub.d/99_sriov-lxc-trial, or a BLS file), armed
//   for the next boot only with grub-reboot. GRUB clears that one-shot before it starts the trial
//   kernel, so if the kernel panics it reboots into the untouched default entry: the node comes
//   back on its previous configuration by itself. The reboot stage boots the trial and checks
//   /proc/cmdline; kernel-cmdline-commit writes the params into the node's configuration only
//   after that. Not GRUB_CMDLINE_LINUX first with GRUB_DEFAULT=saved pinned to the old entry:
//   grub-mkconfig puts GRUB_CMDLINE_LINUX on every entry it generates, the old one included.
// - plain (trialBoot: false, for nodes whose GRUB cannot write grubenv at boot): the params file
//   edited and grub.cfg regenerated (or every BLS entry changed) now, with no way back by itself.
//
// The paper cloned an entry into /etc/grub.d/40_custom by hand, freezing one kernel into the config;
// the trial entry is a copy too, but lives for one boot and is removed by the commit.
import type { HostPlan } from '../inventory/plan.ts';
import type { Stage, StageContext } from '../engine/stage.ts';
import { bootRunOf, cmdlineTrio, type BootRun } from '../node/boot/cmdline-trio.ts';
import { PROVISION_TRIO } from '../node/boot/trio-ids.ts';

const trio = cmdlineTrio('add', PROVISION_TRIO);
const run = (ctx: StageContext): Promise<BootRun> => bootRunOf(ctx);

const cmdlineInputs = (plan: HostPlan) => ({ kernelParams: plan.kernelParams, iommu: plan.iommu, pfModule: plan.driver.pfModule, maxVfs: plan.pfs.map((p) => p.vfCreation) });

export const kernelCmdlineStage: Stage = {
  id: PROVISION_TRIO.arm,
  title: 'Set the kernel command line',
  inputs: cmdlineInputs,
  check: async (ctx) => trio.arm.check(await run(ctx)),
  apply: async (ctx) => trio.arm.apply(await run(ctx)),
  verify: async (ctx) => trio.arm.verify(await run(ctx)),
};
