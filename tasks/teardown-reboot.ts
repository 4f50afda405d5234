// Teardown's one reboot (the engine's reboot protocol, as provisioning's reboot stage): the node
// comes back without sriov-lxc's kernel params (through the trial entry teardown-kernel-cmdline
// armed, or the restored default) and without VFs on the planned PFs, since nothing creates them
// any more. Skipped when the running boot is like that already.
import { FatalError } from '../core/errors.ts';
import type { HostPlan } from '../inventory/plan.ts';
import type { CheckResult, Stage, StageContext } from '../engine/stage.ts';
import { bootRunOf, cmdlineTrio, type BootRun } from '../node/boot/cmdline-trio.ts';
import { TEARDOWN_TRIO } from '../node/boot/trio-ids.ts';
import { describeVfs, vfsNow } from '../node/vfs/numvfs.ts';

const trio = cmdlineTrio('remove', TEARDOWN_TRIO);
const run = (ctx: StageContext): Promise<BootRun> => bootRunOf(ctx);

export const rebootTeardownStage: Stage = {
  id: TEARDOWN_TRIO.reboot,
  title: 'Reboot into the configuration before sriov-lxc',
  reboots: true,
  retryFrom: TEARDOWN_TRIO.arm,
  expects: async (ctx) => trio.reboot.expects(await run(ctx)),
  inputs: (plan: HostPlan) => ({ kernelParams: plan.kernelParams, pfs: plan.pfs.map((pf) => pf.name) }),

  async check(ctx): Promise<CheckResult> {
    const boot = await run(ctx);
    const why = await trio.reboot.reasons(boot);
    const vfs = await vfsNow(ctx.host, ctx.plan);
    if (vfs.length > 0) why.push(`${describeVfs(vfs)}: they go with the boot`);
    if (why.length === 0) return { done: true, reason: 'skipped: the running boot has none of sriov-lxc\'s params and no VFs on the planned PFs' };
    const reboot = await trio.reboot.planReboot(boot, false);
    return { done: false, plan: [...why.map((w) => `why: ${w}`), reboot] };
  },

  async apply() {},

  async verify(ctx) {
    const cmdline = await trio.reboot.verify(await run(ctx), (found, shortfall) => new FatalError(`${ctx.host.name}: after the reboot /proc/cmdline ${shortfall}: the boot loader did not use the restored configuration (/proc/cmdline: ${found})`, {
      hint: 'look at the node\'s console and compare /proc/cmdline with the default boot entry; run teardown again: teardown-kernel-cmdline arms a new trial, within the reboot budget',
    }));
    const vfs = await vfsNow(ctx.host, ctx.plan);
    if (vfs.length > 0) {
      throw new FatalError(`${ctx.host.name}: after the reboot ${describeVfs(vfs)}: something other than sriov-lxc creates them`, {
        hint: 'look for max_vfs in /etc/modprobe.d and on /proc/cmdline, sriov_numvfs in /etc/udev/rules.d, systemd-networkd .link files',
      });
    }
    return { bootId: await ctx.host.bootId(), cmdline };
  },
};
