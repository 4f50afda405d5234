// Teardown of the kernel params, through the same method provisioning used (tasks/kernel-cmdline.ts, node/boot/):
// with a trial boot (the default), the cmdline without sriov-lxc's params goes into a one-shot
// trial entry copied from the default entry (panic=N: a kernel that does not come up falls back to
// the unchanged default by itself); teardown-reboot boots it once and
// teardown-kernel-cmdline-commit restores /etc/default/grub only after it came up. Without a trial
// (trialBoot: false), /etc/default/grub is restored and grub.cfg regenerated now.
import { FatalError } from '../core/errors.ts';
import type { HostPlan } from '../inventory/plan.ts';
import { GRUB_DEFAULTS, GRUB_DEFAULTS_BACKUP } from '../node/boot/grub-defaults.ts';
import { armTrialEntry, regenerateGrubCfg, testGrubenvWrite, writeTrialScript } from '../node/boot/grub-host.ts';
import { GRUB_DROPIN } from '../node/boot/boot-method.ts';
import { isTrialEntry, readGrubState, runningCmdline, type GrubState } from '../node/boot/grub-state.ts';
import { checkTrialPossible, usesTrialBoot } from '../node/boot/trial.ts';
import { TRIAL_ENTRY_ID, TRIAL_SCRIPT, honoursNextEntry, menuEntryBody, renderTrialScript, trialParamsFor } from '../node/boot/trial-entry.ts';
import { unifiedDiff } from '../node/parse/diff.ts';
import type { CheckResult, Stage, StageContext, StageOutputs } from '../engine/stage.ts';
import { cmdlineFits, cmdlineTeardown, describeCmdlineTeardown, dropinTeardown, type CmdlineTeardown } from '../node/boot/cmdline-target.ts';

export const TEARDOWN_CMDLINE_ID = 'teardown-kernel-cmdline';

export interface Observed {
  state: GrubState;
  t: CmdlineTeardown;
  /** The file that carries sriov-lxc's params: /etc/default/grub, or its grub.d drop-in. */
  file: string;
  /** What the restore is computed from, removed last: /etc/default/grub's backup (none for the drop-in). */
  backup?: string;
}

export async function observeCmdline(ctx: StageContext): Promise<Observed> {
  const state = await readGrubState(ctx);
  if (state.method === 'bls') {
    throw new FatalError(`${ctx.host.name}: teardown does not take kernel params off Boot Loader Specification entries yet`, {
      hint: `take them off by hand: grubby --update-kernel=ALL --remove-args="${ctx.plan.kernelParams.join(' ')}", the same in ${state.paramsPath}, then reboot; run teardown with --keep-containers or --only for the other stages`,
    });
  }
  if (state.method === 'grub-dropin') return { state, t: dropinTeardown(state.defaults, state.edited, ctx.plan), file: GRUB_DROPIN };
  return { state, t: cmdlineTeardown(state.defaults, await ctx.host.readFile(GRUB_DEFAULTS_BACKUP), ctx.plan), file: GRUB_DEFAULTS, backup: GRUB_DEFAULTS_BACKUP };
}

/** The params file as the way back leaves it: written, or (an empty target for the drop-in) removed. */
export async function writeTarget(ctx: StageContext, o: Observed): Promise<void> {
  if (o.state.defaults === o.t.target) return;
  if (o.t.target === '' && o.file === GRUB_DROPIN) await ctx.host.run(['rm', '-f', '--', GRUB_DROPIN]);
  else await ctx.host.writeFile(o.file, o.t.target, { mode: 0o644 });
}

/** "restore from BACKUP", or what the drop-in's way back is. */
export function restoreWords(o: Observed): string {
  return o.backup === undefined ? 'remove it (sriov-lxc wrote it)' : `restore from ${o.backup}`;
}

/** What teardown takes off (and puts back), as teardown-kernel-cmdline recorded it before the backup went. */
export function recordedTeardown(outputs: Readonly<Record<string, StageOutputs>>): Pick<CmdlineTeardown, 'remove' | 'add'> {
  const o = outputs[TEARDOWN_CMDLINE_ID];
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return { remove: list(o?.['remove']), add: list(o?.['add']) };
}

/** The default entry (what every boot without a one-shot starts) has the cmdline teardown leaves, and /etc/default/grub says so. */
export function isRestored(o: Observed): boolean {
  return o.state.defaults === o.t.target && !isTrialEntry(o.state.standing) && o.state.standing !== undefined && cmdlineFits(o.state.standing.entry.params ?? '', o.t);
}

function trialArmed(o: Observed): boolean {
  const { next, standing } = o.state;
  return isTrialEntry(next) && !isTrialEntry(standing) && next !== undefined && cmdlineFits(next.entry.params ?? '', o.t);
}

function buildTrial(ctx: StageContext, o: Observed): { base: string; params: string; script: string } {
  const base = o.state.standing;
  if (o.state.cfg === undefined || !base) {
    throw new FatalError(`${ctx.host.name}: no trial boot possible: there is no ${o.state.commands.grubCfgPath} to copy the default entry from`, { hint: `regenerate it with ${o.state.commands.mkconfig.join(' ')}` });
  }
  if (isTrialEntry(base)) {
    throw new FatalError(`${ctx.host.name}: the default boot entry is the trial entry ${TRIAL_ENTRY_ID} (${base.chosenBy})`, { hint: `point GRUB_DEFAULT in ${GRUB_DEFAULTS} (or saved_entry) at the entry the node normally boots, then run again` });
  }
  const params = trialParamsFor(base.entry.params ?? '', o.t.add, o.t.remove);
  return { base: base.entry.title, params, script: renderTrialScript(base.entry, menuEntryBody(o.state.cfg, base.entry), params) };
}

const outputsOf = (o: Observed, method: string, phase: string): StageOutputs => ({ method, phase, how: o.t.how, remove: o.t.remove, add: o.t.add });

async function doneReason(ctx: StageContext, o: Observed): Promise<string | undefined> {
  const what = describeCmdlineTeardown(o.t);
  if (o.t.how === 'nothing') return o.backup === undefined ? `no ${o.file}: nothing of sriov-lxc in the GRUB settings (removed, or never written)` : `no backup of ${GRUB_DEFAULTS}: it has nothing of sriov-lxc (restored, or never changed)`;
  if (isRestored(o)) return `${o.file} and the default boot entry "${o.state.standing?.entry.title}" are ${what}`;
  if (!usesTrialBoot(ctx.plan)) return undefined;
  if (cmdlineFits(await runningCmdline(ctx.host), o.t)) return `the running kernel is ${what}; teardown-kernel-cmdline-commit makes that the default`;
  if (trialArmed(o)) return `the next boot only starts the trial entry "${o.state.next?.entry.title}", ${what}; the default entry stays as it is`;
  return undefined;
}

export const kernelCmdlineTeardownStage: Stage = {
  id: TEARDOWN_CMDLINE_ID,
  title: 'Take the params off the kernel command line',
  inputs: (plan: HostPlan) => ({ kernelParams: plan.kernelParams, iommu: plan.iommu, pfModule: plan.driver.pfModule, maxVfs: plan.pfs.map((p) => p.vfCreation), trialBoot: plan.trialBoot }),

  async check(ctx): Promise<CheckResult> {
    const o = await observeCmdline(ctx);
    const done = await doneReason(ctx, o);
    if (done) {
      // Once the backup is gone the params are no longer derivable: keep what was recorded.
      const outputs = o.t.how === 'nothing' ? (ctx.outputs[TEARDOWN_CMDLINE_ID] ?? outputsOf(o, 'none', 'none')) : outputsOf(o, usesTrialBoot(ctx.plan) ? 'trial' : 'default', 'done');
      return { done: true, reason: done, outputs };
    }
    const what = describeCmdlineTeardown(o.t);
    if (!usesTrialBoot(ctx.plan)) {
      return {
        done: false,
        plan: [`${o.file}: ${o.t.how === 'restore-backup' ? restoreWords(o) : `take ${o.t.remove.join(' ')} off (the file changed since sriov-lxc wrote it)`}`, `regenerate ${o.state.commands.grubCfgPath}: ${o.state.commands.mkconfig.join(' ')}`],
        diffs: [{ path: o.file, diff: unifiedDiff(o.file, o.state.defaults, o.t.target) }],
      };
    }
    await checkTrialPossible(ctx.host, o.state);
    const trial = buildTrial(ctx, o);
    return {
      done: false,
      plan: [
        `copy the default entry "${trial.base}" into a trial entry (${TRIAL_SCRIPT}), ${what}: ${trial.params}`,
        `regenerate ${o.state.commands.grubCfgPath}: ${o.state.commands.mkconfig.join(' ')}`,
        `${o.state.commands.reboot} ${TRIAL_ENTRY_ID}: the next boot only starts the trial entry; if its kernel does not come up, the boot after it starts "${trial.base}" again`,
        `${o.file} is restored after the trial boot came up (stage teardown-kernel-cmdline-commit)`,
      ],
      diffs: trial.script === o.state.trialScript ? [] : [{ path: TRIAL_SCRIPT, diff: unifiedDiff(TRIAL_SCRIPT, o.state.trialScript ?? '', trial.script) }],
    };
  },

  async apply(ctx) {
    let o = await observeCmdline(ctx);
    if (!usesTrialBoot(ctx.plan)) {
      await writeTarget(ctx, o);
      await regenerateGrubCfg(ctx.host, o.state.commands, `${o.file} is already restored`);
      return;
    }
    await checkTrialPossible(ctx.host, o.state);
    await testGrubenvWrite(ctx.host, o.state.commands);
    const unchanged = `the trial entry is in ${TRIAL_SCRIPT}, ${o.file} is unchanged`;
    // Written, regenerated, and written again if the regeneration changed the default entry it copies.
    for (let round = 0; round < 2; round++) {
      const trial = buildTrial(ctx, o);
      if (trial.script === o.state.trialScript && round > 0) break;
      if (trial.script !== o.state.trialScript) await writeTrialScript(ctx.host, TRIAL_SCRIPT, trial.script);
      await regenerateGrubCfg(ctx.host, o.state.commands, unchanged);
      o = await observeCmdline(ctx);
    }
    if (o.state.cfg !== undefined && !honoursNextEntry(o.state.cfg)) {
      throw new FatalError(`${ctx.host.name}: ${o.state.commands.grubCfgPath} does not boot a one-shot next_entry (its header is not grub-mkconfig's)`, { hint: 'set trialBoot: false for this host (or --no-trial-boot)' });
    }
    await armTrialEntry(ctx.host, o.state.commands);
  },

  async verify(ctx) {
    const o = await observeCmdline(ctx);
    const method = usesTrialBoot(ctx.plan) ? 'trial' : 'default';
    if (isRestored(o)) return outputsOf(o, method, 'done');
    if (method === 'trial' && trialArmed(o)) return outputsOf(o, method, 'armed');
    throw new FatalError(`${ctx.host.name}: after writing, neither the next boot entry nor ${o.file} is ${describeCmdlineTeardown(o.t)} (next entry "${o.state.next?.entry.title}": ${o.state.next?.entry.params ?? 'none'})`, {
      hint: `something else sets next_entry in ${o.state.commands.grubenvPath} or rewrites ${o.file}; run teardown again`,
    });
  },
};
