// Teardown's one reboot (the engine's reboot protocol, as provisioning's reboot stage): the node
// comes back without sriov-lxc's kernel params (through the trial entry teardown-kernel-cmdline
// armed, or the restored default) and without VFs on the planned PFs, since nothing creates them
// any more. Skipped when the running boot is like that already.
import { FatalError } from '../core/errors.ts';
import type { Host } from '../hosts/host.ts';
import type { HostPlan } from '../inventory/plan.ts';
import { readGrubState, runningCmdline } from '../node/boot/grub-state.ts';
import type { CheckResult, Stage, StageContext } from '../engine/stage.ts';
import { cmdlineFits, describeCmdlineTeardown, leftOn } from '../node/boot/cmdline-target.ts';
import { recordedTeardown } from './teardown-kernel-cmdline.ts';

/** PF → VFs it has now (sriov_numvfs), for the planned PFs that have any. */
export async function vfsNow(host: Host, plan: HostPlan): Promise<{ pf: string; vfs: number }[]> {
  const out = [];
  for (const pf of plan.pfs) {
    const n = Number.parseInt((await host.readFile(`/sys/class/net/${pf.name}/device/sriov_numvfs`)) ?? '0', 10);
    if (n > 0) out.push({ pf: pf.name, vfs: n });
  }
  return out;
}

const describeVfs = (vfs: readonly { pf: string; vfs: number }[]): string => vfs.map((v) => `${v.pf} has ${v.vfs} VFs`).join(', ');

async function reasons(ctx: StageContext): Promise<string[]> {
  const t = recordedTeardown(ctx.outputs);
  const cmdline = await runningCmdline(ctx.host);
  const why: string[] = [];
  if (!cmdlineFits(cmdline, t)) why.push(`the running kernel is not ${describeCmdlineTeardown(t)}`);
  const vfs = await vfsNow(ctx.host, ctx.plan);
  if (vfs.length > 0) why.push(`${describeVfs(vfs)}: they go with the boot`);
  return why;
}

export const rebootTeardownStage: Stage = {
  id: 'teardown-reboot',
  title: 'Reboot into the configuration before sriov-lxc',
  reboots: true,
  inputs: (plan: HostPlan) => ({ kernelParams: plan.kernelParams, pfs: plan.pfs.map((pf) => pf.name) }),

  async check(ctx): Promise<CheckResult> {
    const why = await reasons(ctx);
    if (why.length === 0) return { done: true, reason: 'skipped: the running boot has none of sriov-lxc\'s params and no VFs on the planned PFs' };
    const t = recordedTeardown(ctx.outputs);
    const state = await readGrubState(ctx);
    const next = state.next?.entry.params ?? '';
    if (!cmdlineFits(next, t)) {
      throw new FatalError(`${ctx.host.name}: rebooting now would start "${state.next?.entry.title}", which is not ${describeCmdlineTeardown(t)} (${next})`, {
        hint: 'run teardown-kernel-cmdline first (--from teardown-kernel-cmdline): it arms the trial boot, or restores the default entry',
      });
    }
    return { done: false, plan: [...why.map((w) => `why: ${w}`), `reboot ${ctx.host.name} into "${state.next?.entry.title}" and wait for the new boot`] };
  },

  async apply() {},

  async verify(ctx) {
    const t = recordedTeardown(ctx.outputs);
    const cmdline = await runningCmdline(ctx.host);
    if (!cmdlineFits(cmdline, t)) {
      const still = leftOn(cmdline, t.remove);
      throw new FatalError(`${ctx.host.name}: after the reboot /proc/cmdline is not ${describeCmdlineTeardown(t)}${still.length > 0 ? ` (still has ${still.join(' ')})` : ''}: the trial entry did not come up and the node is back on its provisioned configuration, or the boot loader did not use the new configuration (/proc/cmdline: ${cmdline})`, {
        hint: 'look at the node\'s console; run teardown again: teardown-kernel-cmdline arms a new trial, within the reboot budget',
      });
    }
    const vfs = await vfsNow(ctx.host, ctx.plan);
    if (vfs.length > 0) {
      throw new FatalError(`${ctx.host.name}: after the reboot ${describeVfs(vfs)}: something other than sriov-lxc creates them`, {
        hint: 'look for max_vfs in /etc/modprobe.d and on /proc/cmdline, sriov_numvfs in /etc/udev/rules.d, systemd-networkd .link files',
      });
    }
    return { bootId: await ctx.host.bootId(), cmdline };
  },
};
