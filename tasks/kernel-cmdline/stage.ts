// Stage 4, kernel-cmdline (paper section 3: "intel_iommu=off default_hugepagesz=2M hugepagesz=2M
// ixgbe.max_vfs=8,8"): the plan's kernel params in GRUB_CMDLINE_LINUX, grub.cfg regenerated with
// the distro's command. Active after the reboot stage.
// The paper cloned an entry into /etc/grub.d/40_custom by hand, freezing one kernel into the config
// (its title, vmlinuz and initramfs even name three different builds); generated entries follow updates.
import type { Host } from '../../hosts/host.ts';
import { FatalError } from '../../workflows/engine/errors.ts';
import type { HostPlan } from '../../workflows/inventory/plan.ts';
import { cmdlineSatisfies } from '../parse/cmdline.ts';
import { unifiedDiff } from '../parse/diff.ts';
import type { GrubCommands } from '../parse/os-release.ts';
import { distroOf } from '../bios-verify/distro.ts';
import type { CheckResult, Stage, StageContext, StageOutputs } from '../stage.ts';
import type { BootEntry } from './boot-entry.ts';
import { GRUB_DEFAULTS, GRUB_DEFAULTS_BACKUP, describeEdit, editGrubDefaults } from './grub-defaults.ts';
import { grubCommandsOf, readGrubDefaults, readNextBootEntry, regenerateGrubCfg, writeGrubDefaults } from './grub-host.ts';

interface GrubState {
  commands: GrubCommands;
  defaults: string;
  edited: string;
  entry: BootEntry | undefined;
}

async function readState(ctx: StageContext): Promise<GrubState> {
  const commands = await grubCommandsOf(ctx.host, await distroOf(ctx));
  const defaults = await readGrubDefaults(ctx.host);
  return { commands, defaults, edited: editGrubDefaults(defaults, ctx.plan).text, entry: await readNextBootEntry(ctx.host, commands, defaults) };
}

/** What the next boot entry lacks of the plan, in words; undefined when it has everything. */
function entryShortfall(plan: HostPlan, state: GrubState): string | undefined {
  if (!state.entry) return `there is no ${state.commands.grubCfgPath}`;
  const check = cmdlineSatisfies(state.entry.entry.params ?? '', plan.kernelParams);
  if (check.ok) return undefined;
  const lacks = [...check.missing, ...check.conflicting.map((c) => `${c.param} (has ${c.found})`)].join(' ');
  return `the next boot entry "${state.entry.entry.title}" (${state.entry.chosenBy}) lacks ${lacks}`;
}

function entryError(host: Host, state: GrubState, shortfall: string): FatalError {
  return new FatalError(`${host.name}: after ${state.commands.mkconfig.join(' ')}, ${shortfall}`, {
    hint: `that entry does not take GRUB_CMDLINE_LINUX (hand-written, e.g. in /etc/grub.d/40_custom like the paper's?): point GRUB_DEFAULT in ${GRUB_DEFAULTS} at a generated entry, or add the params to that entry, then run again`,
  });
}

export const kernelCmdlineStage: Stage = {
  id: 'kernel-cmdline',
  title: 'Set the kernel command line',
  inputs: (plan: HostPlan) => ({ kernelParams: plan.kernelParams, iommu: plan.iommu, pfModule: plan.driver.pfModule, maxVfs: plan.pfs.map((p) => p.vfCreation) }),

  async check(ctx): Promise<CheckResult> {
    const state = await readState(ctx);
    const shortfall = entryShortfall(ctx.plan, state);
    if (state.edited === state.defaults && !shortfall) {
      return { done: true, reason: `${GRUB_DEFAULTS} and the next boot entry "${state.entry?.entry.title}" have ${ctx.plan.kernelParams.join(' ')}` };
    }
    const plan: string[] = [];
    if (state.edited !== state.defaults) {
      plan.push(...describeEdit(state.defaults, ctx.plan).map((line) => `${GRUB_DEFAULTS}: ${line}`));
      if ((await ctx.host.readFile(GRUB_DEFAULTS_BACKUP)) === undefined) plan.push(`keep the original as ${GRUB_DEFAULTS_BACKUP}`);
    } else if (shortfall) {
      plan.push(`why: ${shortfall}`);
    }
    plan.push(`regenerate ${state.commands.grubCfgPath}: ${state.commands.mkconfig.join(' ')}`);
    const diffs = state.edited === state.defaults ? [] : [{ path: GRUB_DEFAULTS, diff: unifiedDiff(GRUB_DEFAULTS, state.defaults, state.edited) }];
    return { done: false, plan, diffs };
  },

  async apply(ctx) {
    const state = await readState(ctx);
    if (state.edited !== state.defaults) await writeGrubDefaults(ctx.host, state.defaults, state.edited);
    await regenerateGrubCfg(ctx.host, state.commands);
  },

  async verify(ctx): Promise<StageOutputs> {
    const state = await readState(ctx);
    if (state.edited !== state.defaults) {
      throw new FatalError(`${ctx.host.name}: ${GRUB_DEFAULTS} does not have the planned params after writing it`, { hint: 'something else on the node rewrites it (configuration management?); run with --dry-run to see the difference' });
    }
    const shortfall = entryShortfall(ctx.plan, state);
    if (shortfall || !state.entry) throw entryError(ctx.host, state, shortfall ?? 'no boot entry');
    return {
      grubCfg: state.commands.grubCfgPath,
      entry: state.entry.entry.title,
      chosenBy: state.entry.chosenBy,
      params: state.entry.entry.params,
      backup: GRUB_DEFAULTS_BACKUP,
    };
  },
};
