// Teardown of nic-firmware: each ConnectX device's SR-IOV settings (SRIOV_EN, NUM_OF_VFS) put back
// with mstconfig to what nic-firmware read before it changed them (its record on the node), for
// the next boot: the teardown reboot. A device whose settings changed since sriov-lxc set them,
// or whose earlier values mstconfig did not list, is left as it is and named with the command;
// the record then stays (it is what the operator needs), else it goes once every device is back.
import { commandLine } from '../hosts/quote.ts';
import { FatalError, tail } from '../core/errors.ts';
import type { Host } from '../hosts/host.ts';
import type { HostPlan } from '../inventory/plan.ts';
import type { CheckResult, Stage, StageContext } from '../engine/stage.ts';
import { FIRMWARE_FOUND, readFirmware, readFirmwareFound, restoreArgv, type FirmwareFound, type FirmwareState } from '../node/facts/firmware.ts';
import { removeFile, type KeptFile } from '../node/files/owned-files.ts';

type DeviceNow =
  | { found: FirmwareFound; state: 'restore'; argv: string[] }
  | { found: FirmwareFound; state: 'restored' }
  | { found: FirmwareFound; state: 'kept'; why: string };

const values = (v: { sriovEn: number | null; numVfs: number | null }) => `SRIOV_EN=${v.sriovEn ?? '?'} NUM_OF_VFS=${v.numVfs ?? '?'}`;

function judge(plan: HostPlan, found: FirmwareFound, now: FirmwareState | undefined): DeviceNow {
  const argv = restoreArgv(found);
  const back = argv === undefined ? `mstconfig -y -d ${found.pci} set SRIOV_EN=… NUM_OF_VFS=… with its values from before provisioning` : commandLine(argv);
  if (now !== undefined && now.sriovEn === found.sriovEn && now.numVfs === found.numVfs) return { found, state: 'restored' };
  const ours = now !== undefined && now.sriovEn === 1 && now.numVfs === plan.firmware?.numVfs;
  if (!ours) return { found, state: 'kept', why: `firmware ${now ? values(now) : 'not read'}: changed since sriov-lxc set it: left as it is; to put back ${values(found)}: ${back}` };
  if (argv === undefined) return { found, state: 'kept', why: `firmware: mstconfig did not list its values before provisioning (${values(found)}): left as sriov-lxc set it; ${back}` };
  return { found, state: 'restore', argv };
}

async function observe(host: Host, plan: HostPlan): Promise<DeviceNow[]> {
  const found = await readFirmwareFound(host);
  if (found.length === 0) return [];
  const states = plan.firmware ? await readFirmware(host, plan) : [];
  return found.map((f) => judge(plan, f, states.find((s) => s.pci === f.pci)));
}

const kept = (devices: readonly DeviceNow[]): KeptFile[] => devices.flatMap((d) => (d.state === 'kept' ? [{ path: `${d.found.pci} (${d.found.pf})`, why: d.why }] : []));

async function check(ctx: StageContext): Promise<CheckResult> {
  const devices = await observe(ctx.host, ctx.plan);
  for (const k of kept(devices)) ctx.log(`${k.path}: ${k.why}`);
  const restore = devices.flatMap((d) => (d.state === 'restore' ? [`${d.found.pci} (${d.found.pf}): ${values(d.found)} at the next boot → ${commandLine(d.argv)}`] : []));
  const dropRecord = devices.length > 0 && kept(devices).length === 0;
  if (restore.length === 0 && !dropRecord) {
    return { done: true, reason: devices.length === 0 ? 'no NIC firmware setting of sriov-lxc on this node' : 'NIC firmware settings changed since sriov-lxc set them: left as they are', outputs: { kept: kept(devices) } };
  }
  return { done: false, plan: [...restore, ...(dropRecord ? [`remove ${FIRMWARE_FOUND} (the settings before provisioning)`] : [])] };
}

async function apply(ctx: StageContext): Promise<void> {
  const devices = await observe(ctx.host, ctx.plan);
  for (const d of devices) {
    if (d.state !== 'restore') continue;
    ctx.log(`${d.found.pci}: ${commandLine(d.argv)}`);
    const r = await ctx.host.exec(d.argv);
    if (r.code !== 0) {
      throw new FatalError(`putting back the firmware settings of ${d.found.pci} failed (exit ${r.code}): ${tail(r.stdout + r.stderr, 2)}`, {
        command: commandLine(d.argv), code: r.code, stderrTail: tail(r.stdout + r.stderr), hint: `mstconfig -d ${d.found.pci} query on the node`,
      });
    }
  }
  const after = await observe(ctx.host, ctx.plan);
  if (after.length > 0 && after.every((d) => d.state === 'restored')) await removeFile(ctx.host, FIRMWARE_FOUND);
}

async function verify(ctx: StageContext) {
  const devices = await observe(ctx.host, ctx.plan);
  const left = devices.filter((d) => d.state === 'restore');
  if (left.length > 0) {
    throw new FatalError(`the NIC firmware still holds what sriov-lxc set: ${left.map((d) => d.found.pci).join(', ')}`, { hint: `mstconfig -d ${left[0]!.found.pci} query on the node` });
  }
  return { kept: kept(devices) };
}

export const nicFirmwareTeardownStage: Stage = {
  id: 'teardown-nic-firmware',
  title: 'Put the NIC firmware settings back',
  inputs: (plan: HostPlan) => ({ firmware: plan.firmware ?? null }),
  check,
  apply,
  verify,
};
