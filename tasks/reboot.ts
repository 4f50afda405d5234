// Stage 5, reboot (paper section 3: "Finally we reboot the system"): the engine runs the reboot
// protocol around this stage (boot_id before and after, resumable). Skipped when the running boot
// already has the planned cmdline and drivers; refused when the next boot would not have the
// params. verify proves the new boot took the new config; after a trial boot (kernel-cmdline) it
// is the proof kernel-cmdline-commit waits for, and a node back on its old cmdline is the trial
// failing, diagnosed as such. The engine's reboot budget keeps a failing trial from looping.
import { FatalError, NotReadyError } from '../core/errors.ts';
import type { HostPlan } from '../inventory/plan.ts';
import type { CheckResult, Stage, StageContext, StageOutputs } from '../engine/stage.ts';
import { describeShortfall, readBootState } from '../node/boot/boot-state.ts';
import { bootRunOf, cmdlineTrio, type BootRun } from '../node/boot/cmdline-trio.ts';
import { PROVISION_TRIO } from '../node/boot/trio-ids.ts';

const trio = cmdlineTrio('add', PROVISION_TRIO);
const run = (ctx: StageContext): Promise<BootRun> => bootRunOf(ctx);

export const rebootStage: Stage = {
  id: PROVISION_TRIO.reboot,
  title: 'Reboot into the new configuration',
  reboots: true,
  // A trial that fell back used up its one-shot: a re-run of this stage arms a new one first.
  retryFrom: PROVISION_TRIO.arm,
  expects: async (ctx) => trio.reboot.expects(await run(ctx)),
  inputs: (plan: HostPlan) => ({ kernelParams: plan.kernelParams, modules: [plan.driver.pfModule, plan.driver.vfModule], firmware: plan.firmware ?? null }),

  async check(ctx): Promise<CheckResult> {
    const state = await readBootState(ctx.host, ctx.plan, ctx.outputs['driver-build']);
    const why: string[] = [];
    if (!state.check.ok) why.push(`the kernel cmdline lacks ${describeShortfall(state.check)}`);
    if (state.notLoaded.length > 0) why.push(`${state.notLoaded.join(', ')} not loaded: the boot loads ${state.notLoaded.length === 1 ? 'it' : 'them'} from /etc/modules-load.d`);
    why.push(...state.oldDrivers.map((d) => `${d}: the boot loads the new one`));
    why.push(...state.firmwarePending.map((f) => `${f}: the boot loads the firmware's new settings`));
    if (why.length === 0) {
      return { done: true, reason: `skipped: /proc/cmdline already has ${ctx.plan.kernelParams.join(' ')} and ${ctx.plan.driver.pfModule}, ${ctx.plan.driver.vfModule} are loaded` };
    }
    const reboot = await trio.reboot.planReboot(await run(ctx), state.check.ok);
    return { done: false, plan: [...why.map((w) => `why: ${w}`), reboot] };
  },

  // The engine's reboot protocol is the whole change; there is nothing to do before it.
  async apply() {},

  async verify(ctx): Promise<StageOutputs> {
    const state = await readBootState(ctx.host, ctx.plan, ctx.outputs['driver-build']);
    if (!state.check.ok) {
      await trio.reboot.verify(await run(ctx), () => new FatalError(`${ctx.host.name}: after the reboot /proc/cmdline lacks ${describeShortfall(state.check)}: the bootloader did not use the new configuration — check GRUB_DEFAULT / the boot entry`, {
        hint: 'compare /proc/cmdline with the default entry of grub.cfg on the node (kernel-cmdline\'s outputs name it); on EFI machines check which grub.cfg the firmware loads',
      }));
    }
    // The cmdline asks for the IOMMU and the kernel still has none: VT-d is off in the BIOS.
    if (state.iommuProblem) throw new FatalError(`${ctx.host.name}: ${state.iommuProblem.message}`, { hint: state.iommuProblem.hint });
    if (state.notLoaded.length > 0) {
      throw new NotReadyError(`${state.notLoaded.join(', ')} not loaded yet`, {
        hint: `check /etc/modules-load.d/sriov-lxc.conf and \`dmesg | grep -i ${ctx.plan.driver.pfModule}\` on the node; \`modprobe ${state.notLoaded[0]}\` shows why a driver does not load`,
      });
    }
    if (state.firmwarePending.length > 0) {
      throw new FatalError(`${ctx.host.name}: after the reboot ${state.firmwarePending.join('; ')}`, {
        hint: 'mstconfig -d <pci> query shows what the firmware holds for the next boot; some cards need a cold power cycle (or mstfwreset) to load it',
      });
    }
    if (state.oldDrivers.length > 0) {
      throw new FatalError(`${ctx.host.name}: after the reboot ${state.oldDrivers.join('; ')}`, {
        hint: 'the initramfs probably carries the old driver: rebuild it (Debian: update-initramfs -u; RHEL: dracut -f) and run again',
      });
    }
    return { bootId: await ctx.host.bootId(), cmdline: state.cmdline };
  },
};
