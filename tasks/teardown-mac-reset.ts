// Teardown of mac-reset: the boot unit that re-applies the VF MACs disabled, then it and its
// script removed, each only if it is still what mac-reset writes from the plan.
import { FatalError } from '../core/errors.ts';
import type { HostPlan } from '../inventory/plan.ts';
import { MAC_SCRIPT_PATH, MAC_UNIT_NAME, MAC_UNIT_PATH, macScript, macUnit } from '../node/vfs/mac-boot-files.ts';
import type { CheckResult, Stage, StageContext } from '../engine/stage.ts';
import { judgeFiles, keptOf, removeFile, type FileVerdict, type OwnedFile, type TeardownOutputs } from '../node/files/owned-files.ts';

function ownedFiles(plan: HostPlan): OwnedFile[] {
  return [
    { path: MAC_UNIT_PATH, ours: macUnit() },
    { path: MAC_SCRIPT_PATH, ours: macScript(plan.name, plan.pfs.filter((pf) => pf.vfs > 0)) },
  ];
}

interface Observed {
  files: FileVerdict[];
  /** Enabled, and the unit is ours (a unit the operator changed keeps its state too). */
  disable: boolean;
}

async function observe(ctx: StageContext): Promise<Observed> {
  const files = await judgeFiles(ctx.host, ownedFiles(ctx.plan));
  const unit = files.find((f) => f.path === MAC_UNIT_PATH);
  const enabled = (await ctx.host.exec(['systemctl', 'is-enabled', MAC_UNIT_NAME])).stdout.trim() === 'enabled';
  return { files, disable: enabled && unit?.state === 'ours' };
}

const outputs = (o: Observed): TeardownOutputs => ({ kept: keptOf(o.files) });

export const macResetTeardownStage: Stage = {
  id: 'teardown-mac-reset',
  title: 'Remove the VF MAC boot unit',
  inputs: (plan: HostPlan) => ({ pfs: plan.pfs.map((pf) => [pf.name, pf.vfs, pf.macs]) }),

  async check(ctx): Promise<CheckResult> {
    const o = await observe(ctx);
    const plan = [
      ...(o.disable ? [`disable ${MAC_UNIT_NAME}`] : []),
      ...o.files.filter((f) => f.state === 'ours').map((f) => `remove ${f.path}`),
    ];
    for (const k of keptOf(o.files)) ctx.log(`${k.path}: ${k.why}`);
    if (plan.length === 0) return { done: true, reason: `${MAC_UNIT_NAME} not installed${o.files.some((f) => f.state === 'changed') ? ' (files changed by the operator kept)' : ''}`, outputs: outputs(o) };
    return { done: false, plan };
  },

  async apply(ctx) {
    const o = await observe(ctx);
    if (o.disable) await ctx.host.run(['systemctl', 'disable', MAC_UNIT_NAME]);
    for (const f of o.files) if (f.state === 'ours') await removeFile(ctx.host, f.path);
  },

  async verify(ctx) {
    const o = await observe(ctx);
    const left = o.files.filter((f) => f.state === 'ours').map((f) => f.path);
    if (o.disable || left.length > 0) {
      throw new FatalError(`${ctx.host.name}: ${MAC_UNIT_NAME} is still ${o.disable ? 'enabled' : `installed (${left.join(', ')})`} after removing it`, { hint: `systemctl status ${MAC_UNIT_NAME} on the node; run teardown again` });
    }
    return outputs(o);
  },
};
