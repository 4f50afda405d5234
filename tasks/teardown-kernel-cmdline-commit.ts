// After teardown's reboot: /etc/default/grub restored from the backup (or, when the operator
// changed it since, the params taken off it), the trial entry and a one-shot naming it removed,
// grub.cfg regenerated, and the backup removed last (it is what the restore is computed from).
// Refuses to change the default when no boot has shown that the cmdline without the params works.
import { FatalError } from '../core/errors.ts';
import type { HostPlan } from '../inventory/plan.ts';
import { clearNextEntry, regenerateGrubCfg, removeTrialScript } from '../node/boot/grub-host.ts';
import { runningCmdline, trialLeftovers } from '../node/boot/grub-state.ts';
import { usesTrialBoot } from '../node/boot/trial.ts';
import { TRIAL_ENTRY_ID } from '../node/boot/trial-entry.ts';
import { unifiedDiff } from '../node/parse/diff.ts';
import type { CheckResult, Stage, StageContext } from '../engine/stage.ts';
import { cmdlineFits, describeCmdlineTeardown } from '../node/boot/cmdline-target.ts';
import { isRestored, kernelCmdlineTeardownStage, observeCmdline, recordedTeardown, restoreWords, writeTarget, type Observed } from './teardown-kernel-cmdline.ts';
import { CHANGED_SINCE, removeFile, type KeptFile } from '../node/files/owned-files.ts';

function pending(o: Observed): string[] {
  const lines: string[] = [];
  if (o.state.defaults !== o.t.target) lines.push(`${o.file}: ${o.t.how === 'restore-backup' ? restoreWords(o) : `take ${o.t.remove.join(' ')} off (the file changed since sriov-lxc wrote it; the rest stays)`}`);
  lines.push(...trialLeftovers(o.state));
  if (o.t.how === 'restore-backup' && o.backup !== undefined) lines.push(`remove ${o.backup}`);
  return lines;
}

function kept(o: Observed): KeptFile[] {
  return o.t.how === 'remove-params' ? [{ path: o.file, why: `${CHANGED_SINCE}, without sriov-lxc's params ${o.t.remove.join(' ')}${o.backup === undefined ? '' : ` (the original is in ${o.backup})`}` }] : [];
}

async function checkProven(ctx: StageContext, o: Observed): Promise<void> {
  if (!usesTrialBoot(ctx.plan) || o.state.defaults === o.t.target) return;
  const cmdline = await runningCmdline(ctx.host);
  if (cmdlineFits(cmdline, o.t)) return;
  throw new FatalError(`${ctx.host.name}: not restoring ${o.file}: the running kernel is not ${describeCmdlineTeardown(o.t)}, so no boot has shown that cmdline works (/proc/cmdline: ${cmdline})`, {
    hint: 'run teardown-kernel-cmdline and teardown-reboot first (--from teardown-kernel-cmdline)',
  });
}

export const kernelCmdlineCommitTeardownStage: Stage = {
  id: 'teardown-kernel-cmdline-commit',
  title: 'Restore the default kernel command line',
  inputs: (plan: HostPlan) => kernelCmdlineTeardownStage.inputs(plan),

  async check(ctx): Promise<CheckResult> {
    const o = await observeCmdline(ctx);
    const lines = pending(o);
    if (lines.length === 0) return { done: true, reason: `${o.file} and the default boot entry "${o.state.standing?.entry.title}" have no params of sriov-lxc; no trial entry left`, outputs: { kept: kept(o) } };
    // Not refused here: a dry run describes the whole way back; apply refuses without the proof.
    lines.push(`regenerate ${o.state.commands.grubCfgPath}: ${o.state.commands.mkconfig.join(' ')}`);
    const diffs = o.state.defaults === o.t.target ? [] : [{ path: o.file, diff: unifiedDiff(o.file, o.state.defaults, o.t.target) }];
    return { done: false, plan: lines, diffs };
  },

  async apply(ctx) {
    const o = await observeCmdline(ctx);
    await checkProven(ctx, o);
    await writeTarget(ctx, o);
    if (o.state.trialScript !== undefined) await removeTrialScript(ctx.host, o.state.trialPath);
    if (o.state.env.next_entry === TRIAL_ENTRY_ID) await clearNextEntry(ctx.host, o.state.commands);
    await regenerateGrubCfg(ctx.host, o.state.commands, `${o.file} is already restored${o.backup === undefined ? '' : ` (${o.backup} is kept until grub.cfg is regenerated)`}`);
    if (o.t.how === 'restore-backup' && o.backup !== undefined) await removeFile(ctx.host, o.backup);
  },

  async verify(ctx) {
    const o = await observeCmdline(ctx);
    const left = pending(o);
    // Once the backup is gone, the default entry is checked against what teardown-kernel-cmdline recorded.
    const standing = o.state.standing?.entry.params ?? '';
    const restored = o.t.how === 'nothing' ? cmdlineFits(standing, recordedTeardown(ctx.outputs)) : isRestored(o);
    if (left.length > 0 || !restored) {
      throw new FatalError(`${ctx.host.name}: the kernel cmdline is not restored: still to ${left.join(', ') || `regenerate ${o.state.commands.grubCfgPath} (the default entry is "${o.state.standing?.entry.title}": ${o.state.standing?.entry.params})`}`, {
        hint: 'something else on the node writes them back; run teardown again',
      });
    }
    return { kept: kept(o) };
  },
};
