// Stage 8, mac-reset: every planned VF has its planned MAC, set from the PF side (`ip link set PF
// vf N mac MAC`, each command awaited and checked) and re-applied at every boot by a oneshot unit.
// The PF's VF table (`ip link show`, in JSON where the node's ip has it) is the authority; a VF netdev still in the
// host namespace is set to the same address (the VF driver may keep its old one until reset). VFs
// given to containers already carry the plan MAC as lxc.net.0.hwaddr (container-create), so the
// end state is consistent on both sides.
import { observe as observeOnce } from '../hosts/observing-host.ts';
import type { Host } from '../hosts/host.ts';
import { commandLine } from '../hosts/quote.ts';
import { runSequence } from '../hosts/sequence.ts';
import { FatalError, NotReadyError, tail } from '../core/errors.ts';
import type { HostPlan } from '../inventory/plan.ts';
import { unifiedDiff } from '../node/parse/diff.ts';
import { ipArgv, iprouteOf, RECORDED_IPROUTE } from '../node/facts/iproute.ts';
import { recorded } from '../core/outputs.ts';
import { findLink, parseIpLink, type IpLink } from '../node/parse/ip-link.ts';
import type { CheckResult, FileDiff, Stage, StageContext } from '../engine/stage.ts';
import { findVf, readVfVerifyOutputs, recordedVfs } from '../node/vfs/outputs.ts';
import { MAC_SCRIPT_PATH, MAC_UNIT_NAME, MAC_UNIT_PATH, macScript, macUnit } from '../node/vfs/mac-boot-files.ts';
import { settingDrift } from '../node/vfs/vf-settings.ts';

interface PlannedMac {
  pf: string;
  vf: number;
  mac: string;
}

/** A VF whose MAC differs from the plan: on the PF side, or on its netdev in the host namespace. */
interface MacDrift extends PlannedMac {
  /** What the PF reports (null: the PF has no such VF). */
  pfSide: string | null;
  /** The VF netdev in the host namespace and its address, when it is there and differs. */
  netdev?: { name: string; address: string | null };
}

/** Planned VF settings the PF does not report, as `ip link set PF vf N` word groups. */
interface SettingDrift {
  pf: string;
  vf: number;
  words: string[][];
}

interface Observed {
  drifts: MacDrift[];
  settings: SettingDrift[];
  files: FileDiff[];
  enabled: boolean;
}

export type MacResetOutputs = { macs: PlannedMac[] };

function plannedMacs(plan: HostPlan): PlannedMac[] {
  return plan.pfs.flatMap((pf) => pf.macs.slice(0, pf.vfs).map((mac, vf) => ({ pf: pf.name, vf, mac })));
}

const activePfs = (plan: HostPlan) => plan.pfs.filter((pf) => pf.vfs > 0);

function drifts(ctx: StageContext, links: readonly IpLink[]): MacDrift[] {
  // Without vf-verify's outputs (a dry run on a fresh node) only the PF side can be compared.
  const vfs = recordedVfs(ctx.outputs);
  const out: MacDrift[] = [];
  for (const want of plannedMacs(ctx.plan)) {
    const pfSide = findLink(links, want.pf)?.vfs.find((v) => v.vf === want.vf)?.mac ?? null;
    const netdevName = vfs ? findVf(vfs, want.pf, want.vf)?.netdev ?? null : null;
    const netdev = netdevName === null ? undefined : findLink(links, netdevName);
    const netdevDrift = netdev !== undefined && netdev.address?.toLowerCase() !== want.mac;
    if (pfSide === want.mac && !netdevDrift) continue;
    out.push(netdevDrift ? { ...want, pfSide, netdev: { name: netdev.ifname, address: netdev.address } } : { ...want, pfSide });
  }
  return out;
}

function settingDrifts(plan: HostPlan, links: readonly IpLink[]): SettingDrift[] {
  return activePfs(plan).flatMap((pf) =>
    pf.vfSettings.slice(0, pf.vfs).flatMap((s, vf) => {
      const words = settingDrift(s, findLink(links, pf.name)?.vfs.find((v) => v.vf === vf));
      return words.length > 0 ? [{ pf: pf.name, vf, words }] : [];
    }),
  );
}

const describeSettings = (d: SettingDrift): string => `${d.pf} VF ${d.vf}: ${d.words.map((w) => w.join(' ')).join(', ')}`;

const UNIT_ENABLED_ARGV = ['systemctl', 'is-enabled', MAC_UNIT_NAME];

async function fileDiff(host: Host, path: string, wanted: string): Promise<FileDiff | undefined> {
  const current = (await host.readFile(path)) ?? '';
  return current === wanted ? undefined : { path, diff: unifiedDiff(path, current, wanted) };
}

async function observe(ctx: StageContext): Promise<Observed> {
  const { host, plan } = ctx;
  const linksArgv = ipArgv(await iprouteOf(host, recorded(ctx.outputs, RECORDED_IPROUTE)), ['link', 'show']);
  await observeOnce(host, [{ argv: linksArgv }, { file: MAC_SCRIPT_PATH }, { file: MAC_UNIT_PATH }, { argv: UNIT_ENABLED_ARGV }]);
  const links = parseIpLink((await host.run(linksArgv)).stdout);
  const files = [
    await fileDiff(host, MAC_SCRIPT_PATH, macScript(plan.name, activePfs(plan))),
    await fileDiff(host, MAC_UNIT_PATH, macUnit()),
  ].filter((d): d is FileDiff => d !== undefined);
  // `systemctl is-enabled` reads the unit files: it answers "enabled" (exit 0) with or without a
  // running systemd; "disabled", or an error for an unknown unit, exit non-zero.
  const enabled = (await host.exec(UNIT_ENABLED_ARGV)).stdout.trim() === 'enabled';
  return { drifts: drifts(ctx, links), settings: settingDrifts(plan, links), files, enabled };
}

function describe(d: MacDrift): string {
  const parts = [];
  if (d.pfSide !== d.mac) parts.push(d.pfSide === null ? `${d.pf} has no VF ${d.vf}` : `${d.pf} VF ${d.vf}: ${d.pfSide} → ${d.mac}`);
  if (d.netdev) parts.push(`${d.netdev.name} (VF ${d.vf} of ${d.pf}) address ${d.netdev.address ?? 'none'} → ${d.mac}`);
  return parts.join('; ');
}

async function check(ctx: StageContext): Promise<CheckResult> {
  const o = await observe(ctx);
  const plan = [...o.drifts.map(describe), ...o.settings.map(describeSettings)];
  for (const f of o.files) plan.push(`write ${f.path}`);
  if (!o.enabled) plan.push(`enable ${MAC_UNIT_NAME} (re-applies the MACs at every boot)`);
  if (plan.length === 0) {
    readVfVerifyOutputs(ctx.outputs);
    const macs = plannedMacs(ctx.plan);
    const settings = activePfs(ctx.plan).reduce((n, pf) => n + pf.vfSettings.slice(0, pf.vfs).filter((s) => Object.keys(s).length > 0).length, 0);
    const withSettings = settings > 0 ? ` and the settings of ${settings} VF${settings === 1 ? '' : 's'}` : '';
    return { done: true, reason: `all ${macs.length} VF MACs${withSettings} as planned; ${MAC_UNIT_NAME} installed and enabled`, outputs: { macs } };
  }
  return o.files.length > 0 ? { done: false, plan, diffs: o.files } : { done: false, plan };
}

/** Runs every command (one round trip), then reports every failure at once (the paper's script ignored them). */
async function runAll(host: Host, commands: string[][]): Promise<void> {
  const failures: string[] = [];
  let last: { command: string; code: number; stderr: string } | undefined;
  const results = await runSequence(host, commands, { keepGoing: true });
  for (const [i, result] of results.entries()) {
    if (result.code === 0) continue;
    const argv = commands[i]!;
    last = { command: commandLine(argv), code: result.code, stderr: result.stderr };
    failures.push(`${last.command}: exit ${result.code}: ${tail(result.stderr || result.stdout, 1)}`);
  }
  if (last) {
    throw new FatalError(`setting VF MACs failed on ${host.name}:\n  ${failures.join('\n  ')}`, {
      command: last.command,
      code: last.code,
      stderrTail: tail(last.stderr),
      hint: 'check that the VFs exist (vf-verify) and that the PF driver allows setting VF MACs (dmesg)',
    });
  }
}

async function apply(ctx: StageContext): Promise<void> {
  const { host, plan } = ctx;
  const o = await observe(ctx);
  const stale = new Set(o.files.map((f) => f.path));
  if (stale.has(MAC_SCRIPT_PATH)) await host.writeFile(MAC_SCRIPT_PATH, macScript(plan.name, activePfs(plan)), { mode: 0o755 });
  if (stale.has(MAC_UNIT_PATH)) await host.writeFile(MAC_UNIT_PATH, macUnit());
  if (!o.enabled) await host.run(['systemctl', 'enable', MAC_UNIT_NAME]);
  const commands: string[][] = [];
  for (const d of o.drifts) {
    if (d.pfSide !== d.mac) commands.push(['ip', 'link', 'set', 'dev', d.pf, 'vf', String(d.vf), 'mac', d.mac]);
    if (d.netdev) commands.push(['ip', 'link', 'set', 'dev', d.netdev.name, 'address', d.mac]);
  }
  // after every MAC (the drivers check spoofing against it), in settingWords' order
  for (const s of o.settings) for (const words of s.words) commands.push(['ip', 'link', 'set', 'dev', s.pf, 'vf', String(s.vf), ...words]);
  await runAll(host, commands);
}

async function verify(ctx: StageContext): Promise<MacResetOutputs> {
  readVfVerifyOutputs(ctx.outputs);
  const o = await observe(ctx);
  if (o.files.length > 0 || !o.enabled) {
    throw new FatalError(`${MAC_UNIT_NAME} is not installed as planned (${o.files.map((f) => f.path).join(', ') || 'not enabled'})`, {
      hint: `systemctl status ${MAC_UNIT_NAME}; run this stage again`,
    });
  }
  if (o.drifts.length > 0 || o.settings.length > 0) {
    const what = o.drifts.length > 0 ? (o.settings.length > 0 ? 'VF MACs and settings' : 'VF MACs') : 'VF settings';
    throw new NotReadyError(`${what} not as planned yet: ${[...o.drifts.map(describe), ...o.settings.map(describeSettings)].join('; ')}`, {
      hint: 'the VF driver applies a MAC set from the PF after a VF reset; if this persists, check dmesg',
    });
  }
  return { macs: plannedMacs(ctx.plan) };
}

export const macResetStage: Stage = {
  id: 'mac-reset',
  title: 'Set the planned VF MACs and VF settings, now and at every boot',
  inputs: (plan) => ({
    name: plan.name,
    pfs: activePfs(plan).map((pf) => ({ name: pf.name, vfs: pf.vfs, macs: pf.macs.slice(0, pf.vfs), settings: pf.vfSettings.slice(0, pf.vfs) })),
  }),
  check,
  apply,
  verify,
};
