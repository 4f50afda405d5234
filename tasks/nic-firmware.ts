// Stage nic-firmware: a NIC whose firmware gates SR-IOV (ConnectX: SRIOV_EN, NUM_OF_VFS) gets it
// enabled through mstconfig for the next boot; the reboot stage then boots once, for these
// settings and the kernel params together. Nothing to do on NICs without such a gate.
import { commandLine } from '../hosts/quote.ts';
import { FatalError, tail } from '../core/errors.ts';
import type { HostPlan } from '../inventory/plan.ts';
import type { CheckResult, Stage, StageContext, StageOutputs } from '../engine/stage.ts';
import { firmwareLive, readFirmware, recordFirmwareFound, setArgv, wantsFirmware, type FirmwareState } from '../node/facts/firmware.ts';

const shown = (s: FirmwareState) => `SRIOV_EN ${s.sriovEn === 1 ? 'True(1)' : `False(${s.sriovEn ?? '?'})`}, NUM_OF_VFS ${s.numVfs ?? '?'}`;

async function check(ctx: StageContext): Promise<CheckResult> {
  const fw = ctx.plan.firmware;
  if (!fw) return { done: true, reason: `no firmware setting needed (${ctx.plan.nic.model ?? 'NIC not identified'}: SR-IOV is not gated by its firmware)`, outputs: { devices: [] } };
  const states = await readFirmware(ctx.host, ctx.plan);
  const wanted = states.filter((s) => wantsFirmware(fw, s));
  if (wanted.length === 0) {
    const pending = states.filter((s) => !firmwareLive(fw, s)).map((s) => s.pf);
    const when = pending.length > 0 ? `; active after the next boot (${pending.join(', ')})` : '; active';
    return { done: true, reason: `firmware: ${states.map((s) => `${s.pci} ${shown(s)}`).join('; ')}${when}`, outputs: { devices: states } };
  }
  return {
    done: false,
    plan: wanted.map((s) => `${s.pci} (${s.pf}): ${shown(s)} at the next boot → ${commandLine(setArgv(s.pci, fw.numVfs))} (applies at the next boot: the reboot stage reboots once for it and the kernel params)`),
  };
}

async function apply(ctx: StageContext): Promise<void> {
  const fw = ctx.plan.firmware;
  if (!fw) return;
  // Before the first change: teardown puts these values back.
  await recordFirmwareFound(ctx.host, (await readFirmware(ctx.host, ctx.plan)).filter((s) => wantsFirmware(fw, s)));
  // One PCI device carries both ports' settings: set, then read again before the next port.
  for (const pf of ctx.plan.pfs.filter((p) => p.vfs > 0)) {
    const state = (await readFirmware(ctx.host, ctx.plan)).find((s) => s.pf === pf.name);
    if (!state || !wantsFirmware(fw, state)) continue;
    const argv = setArgv(state.pci, fw.numVfs);
    ctx.log(`${state.pci}: ${commandLine(argv)}`);
    const r = await ctx.host.exec(argv);
    if (r.code !== 0) {
      throw new FatalError(`setting SR-IOV in the firmware of ${state.pci} failed (exit ${r.code}): ${tail(r.stdout + r.stderr, 2)}`, {
        command: commandLine(argv),
        code: r.code,
        stderrTail: tail(r.stdout + r.stderr),
        hint: `NUM_OF_VFS must be within the card's limit (mstconfig -d ${state.pci} query shows the current values)`,
      });
    }
  }
}

async function verify(ctx: StageContext): Promise<StageOutputs> {
  const fw = ctx.plan.firmware;
  if (!fw) return { devices: [] };
  const states = await readFirmware(ctx.host, ctx.plan);
  const wrong = states.filter((s) => wantsFirmware(fw, s));
  if (wrong.length > 0) {
    throw new FatalError(`the NIC firmware does not hold SRIOV_EN=1 NUM_OF_VFS>=${fw.numVfs} for the next boot: ${wrong.map((s) => `${s.pci} ${shown(s)}`).join('; ')}`, {
      hint: `mstconfig -d ${wrong[0]?.pci ?? '<pci>'} query on the node`,
    });
  }
  return { devices: states };
}

export const nicFirmwareStage: Stage = {
  id: 'nic-firmware',
  title: 'Enable SR-IOV in the NIC firmware',
  inputs: (plan: HostPlan) => ({ firmware: plan.firmware ?? null }),
  check,
  apply,
  verify,
};
