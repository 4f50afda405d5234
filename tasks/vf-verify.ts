// Stage 6, vf-verify: every PF has the planned number of VFs, each bound to the VF driver, as
// sysfs (sriov_numvfs, virtfn<i>), lspci and the PF's VF table in `ip link` agree. With
// vfCreation: sysfs the VFs are created here and the count persisted for the next boots; with
// max_vfs they come from the kernel cmdline (earlier stages) and are only waited for.
import type { Host } from '../hosts/host.ts';
import { commandFailed } from '../hosts/command-failure.ts';
import { commandLine } from '../hosts/quote.ts';
import { FatalError, NotReadyError, tail } from '../core/errors.ts';
import { DEFAULT_TIMINGS, retryTransient, type RetryPolicy } from '../core/retry.ts';
import type { HostPlan } from '../inventory/plan.ts';
import { parseCmdline, normalizeKey } from '../node/parse/cmdline.ts';
import { unifiedDiff } from '../node/parse/diff.ts';
import { findLink, parseIpLink } from '../node/parse/ip-link.ts';
import { ipArgv, IPROUTE_PROBE_READS, probeIproute, type Iproute } from '../node/facts/iproute.ts';
import { forgetObservations, observe as observeOnce } from '../hosts/observing-host.ts';
import { parseLspci } from '../node/parse/lspci.ts';
import type { CheckResult, FileDiff, Stage, StageContext } from '../engine/stage.ts';
import { assessPf, type Finding, type PfAssessment } from '../node/vfs/assess.ts';
import { VF_VERIFY_ID, type VfVerifyOutputs } from '../node/vfs/outputs.ts';
import { UDEV_RULES_PATH, udevRules } from '../node/vfs/persist-rule.ts';
import { describeOwners, vfOwners } from '../node/vfs/resize.ts';
import { parseSysfsSurvey, sysfsSurveyArgv, type SysfsSurvey } from '../node/vfs/sysfs-survey.ts';

interface Observed {
  iproute: Iproute;
  pfs: { assessment: PfAssessment; sysfs: SysfsSurvey }[];
  /**
   * The rules file as it is and as it should be (wanted undefined: should not exist); `known` is
   * false while a PF it names is not found (its PCI address is part of the rule).
   */
  rules: { current: string | undefined; wanted: string | undefined; known: boolean };
  lspciMissing: boolean;
}

const LSPCI_MISSING = 'lspci not installed: VFs counted in sysfs and ip link only (install pciutils for lspci\'s view too)';

const numVfsPath = (pf: string) => `/sys/class/net/${pf}/device/sriov_numvfs`;

/**
 * The PCI addresses lspci lists as Virtual Function; null when lspci is not installed (pciutils is
 * not in minimal installs; bios-verify does without it too): sysfs and ip link still count the VFs.
 */
const LSPCI_ARGV = ['lspci', '-Dnn'];

async function lspciVirtualFunctions(host: Host): Promise<Set<string> | null> {
  const result = await host.exec(LSPCI_ARGV);
  if (result.code === 127) return null;
  if (result.code !== 0) throw commandFailed(host.name, 'lspci -Dnn', result);
  return new Set(parseLspci(result.stdout).filter((d) => d.isVirtualFunction).map((d) => d.address));
}

/**
 * What probeIproute and survey read, in one round trip; `ip -j link show` on the guess that the
 * node's iproute2 prints JSON (4.14 and later; an older one's text listing is then read alone).
 */
async function observeVfs(host: Host, plan: HostPlan): Promise<void> {
  await observeOnce(host, [
    ...IPROUTE_PROBE_READS,
    { argv: LSPCI_ARGV },
    { argv: ['ip', '-j', 'link', 'show'] },
    { file: '/proc/cmdline' },
    ...plan.pfs.map((pf) => ({ argv: sysfsSurveyArgv(pf.name) })),
    { file: UDEV_RULES_PATH },
  ]);
}

async function survey(host: Host, plan: HostPlan, iproute: Iproute): Promise<Observed> {
  const lspciVfs = await lspciVirtualFunctions(host);
  const links = parseIpLink((await host.run(ipArgv(iproute, ['link', 'show']))).stdout);
  const maxVfsKey = normalizeKey(`${plan.driver.pfModule}.max_vfs`);
  const maxVfs = parseCmdline((await host.readFile('/proc/cmdline')) ?? '').findLast((p) => normalizeKey(p.key) === maxVfsKey);
  const pfs: Observed['pfs'] = [];
  for (const pf of plan.pfs) {
    const sysfs = parseSysfsSurvey((await host.run(sysfsSurveyArgv(pf.name))).stdout);
    const assessment = assessPf({
      plan: pf,
      sysfs,
      link: findLink(links, pf.name),
      lspciVfs,
      maxVfsParam: maxVfs ? `${maxVfs.key}=${maxVfs.value ?? ''}` : undefined,
      vfModule: plan.driver.vfModule,
    });
    pfs.push({ assessment, sysfs });
  }
  const persisted = plan.pfs.filter((pf) => pf.vfCreation === 'sysfs' && pf.vfs > 0);
  const pcis = persisted.map((pf) => pfs.find((p) => p.assessment.name === pf.name)?.sysfs.pci ?? null);
  const known = !pcis.includes(null);
  const wanted = persisted.length === 0 || !known
    ? undefined
    : udevRules(persisted.map((pf, i) => ({ pf: pf.name, pci: pcis[i] as string, vfs: pf.vfs })));
  return { iproute, pfs, rules: { current: await host.readFile(UDEV_RULES_PATH), wanted, known }, lspciMissing: lspciVfs === null };
}

const findings = (o: Observed, kind: Finding['kind']): Finding[] => o.pfs.flatMap((p) => p.assessment.findings.filter((f) => f.kind === kind));

const hints = (list: Finding[]): string => [...new Set(list.map((f) => f.hint))].join('; ');

function fatal(list: Finding[]): FatalError {
  return new FatalError(list.map((f) => f.message).join('\n'), { hint: hints(list) });
}

/** Throws what keeps the VFs from being as planned: fatal, or NotReady while they may settle. */
function requireSettled(o: Observed): void {
  const blocking = [...findings(o, 'fatal'), ...findings(o, 'fixable')];
  if (blocking.length > 0) throw fatal(blocking);
  const settling = findings(o, 'settling');
  if (settling.length > 0) throw new NotReadyError(settling.map((f) => f.message).join('\n'), { hint: hints(settling) });
}

/** The rules file needs writing (or removing, when no PF uses sysfs any more). */
function rulesChange(o: Observed): FileDiff | undefined {
  const { current, wanted, known } = o.rules;
  if (!known || current === wanted) return undefined;
  return { path: UDEV_RULES_PATH, diff: unifiedDiff(UDEV_RULES_PATH, current ?? '', wanted ?? '') };
}

function doneReason(o: Observed, plan: HostPlan): string {
  const counts = o.pfs.map((p) => `${p.assessment.name}: ${p.assessment.vfs.length} VFs`).join(', ');
  const persisted = o.rules.wanted === undefined ? '' : `; count persisted in ${UDEV_RULES_PATH}`;
  return `${counts}, bound to ${plan.driver.vfModule}${persisted}${o.lspciMissing ? `; ${LSPCI_MISSING}` : ''}`;
}

async function check(ctx: StageContext): Promise<CheckResult> {
  await observeVfs(ctx.host, ctx.plan);
  const o = await survey(ctx.host, ctx.plan, await probeIproute(ctx.host));
  const blocking = findings(o, 'fatal');
  if (blocking.length > 0) throw fatal(blocking);
  const plan = findings(o, 'fixable').map((f) => `${f.message}: write sriov_numvfs (0 first when other VFs exist)`);
  for (const entry of o.pfs) {
    if (!resizes(ctx.plan, entry)) continue;
    const owners = await vfOwners(ctx.host, ctx.plan, entry.assessment.name, entry.sysfs);
    if (owners.containers.length + owners.unknown.length + owners.hostUse.length === 0) continue;
    const held = owners.unknown.length + owners.hostUse.length > 0;
    plan.push(`${entry.assessment.name}: the resize destroys ${held ? 'VFs in use' : 'the VFs of running containers'}: ${describeOwners(owners)}; ` +
      (held ? 'the run stops here until they are freed' : ctx.allowVfResize ? 'they are stopped, and started again on their VFs after the resize (--allow-vf-resize)' : 'the run stops here unless --allow-vf-resize is given'));
  }
  plan.push(...findings(o, 'settling').map((f) => `wait: ${f.message}`));
  if (o.lspciMissing && plan.length > 0) plan.push(`note: ${LSPCI_MISSING}`);
  const rules = rulesChange(o);
  if (rules) plan.push(o.rules.wanted === undefined ? `remove ${UDEV_RULES_PATH} (no PF uses vfCreation: sysfs)` : `persist the VF counts in ${UDEV_RULES_PATH}`);
  if (plan.length === 0) return { done: true, reason: doneReason(o, ctx.plan), outputs: outputsOf(o) };
  return rules ? { done: false, plan, diffs: [rules] } : { done: false, plan };
}

async function writeSysfs(host: Host, path: string, value: string): Promise<void> {
  // sysfs attributes are written in place: Host.writeFile's temp file + rename cannot work there.
  const argv = ['sh', '-c', 'printf %s "$1" > "$2"', 'sh', value, path];
  const result = await host.exec(argv);
  if (result.code !== 0) {
    throw new FatalError(`writing ${value} to ${path} failed: ${tail(result.stderr, 2)}`, {
      command: commandLine(argv),
      code: result.code,
      stderrTail: tail(result.stderr),
      hint: 'the PF driver refused the VF count: check sriov_totalvfs, that SR-IOV is enabled in the BIOS, and dmesg',
    });
  }
}

/** Whether apply changes this PF's non-zero VF count (through 0). */
function resizes(plan: HostPlan, entry: Observed['pfs'][number]): boolean {
  const pf = plan.pfs.find((p) => p.name === entry.assessment.name);
  return pf?.vfCreation === 'sysfs' && (entry.sysfs.numVfs ?? 0) > 0 && entry.assessment.findings.some((f) => f.kind === 'fixable');
}

/** Sets the VF count; returns the containers it stopped (to start again once the VFs are back). */
async function setVfCount(ctx: StageContext, entry: Observed['pfs'][number]): Promise<string[]> {
  const { assessment, sysfs } = entry;
  const pf = ctx.plan.pfs.find((p) => p.name === assessment.name);
  if (!pf || pf.vfCreation !== 'sysfs' || !assessment.findings.some((f) => f.kind === 'fixable')) return [];
  const stopped: string[] = [];
  if ((sysfs.numVfs ?? 0) > 0) {
    // The kernel only changes a non-zero count through 0, which destroys every VF of the PF.
    const owners = await vfOwners(ctx.host, ctx.plan, pf.name, sysfs);
    if (owners.unknown.length > 0 || owners.hostUse.length > 0 || (owners.containers.length > 0 && !ctx.allowVfResize)) {
      const stop = owners.containers.map((c) => `lxc-stop -n ${c.name}`).join('; ');
      throw new FatalError(
        `${pf.name} has ${sysfs.numVfs} VFs and ${pf.vfs} are planned, but changing the count destroys them all, and these hold one: ${describeOwners(owners)}`,
        {
          hint: owners.hostUse.length > 0
            ? `the host itself uses ${owners.hostUse.map((u) => u.netdev).join(', ')}: take them out of their bond, bridge or switch and down (ip link set DEV nomaster; ip link set DEV down), or plan the PF's count as it is, then run again`
            : owners.unknown.length > 0
            ? `free the VFs held outside the inventory's containers, then run again`
            : `run again with --allow-vf-resize to stop ${owners.containers.map((c) => c.name).join(', ')}, resize and start them again on their VFs (or ${stop} yourself first)`,
        },
      );
    }
    for (const c of owners.containers) {
      ctx.log(`${pf.name}: stopping ${c.name} (owns VF ${c.vf}) for the resize`);
      const r = await ctx.host.exec(['lxc-stop', '-n', c.name, '-t', '10']);
      if (r.code !== 0) throw new FatalError(`lxc-stop -n ${c.name} failed (exit ${r.code}): ${tail(r.stderr, 2)}`, { hint: `lxc-stop -n ${c.name} -k stops it at once` });
      stopped.push(c.name);
    }
    ctx.log(`${pf.name}: ${sysfs.numVfs} VFs → 0 (the kernel changes a non-zero count only through 0)`);
    await writeSysfs(ctx.host, numVfsPath(pf.name), '0');
  }
  ctx.log(`${pf.name}: creating ${pf.vfs} VFs`);
  await writeSysfs(ctx.host, numVfsPath(pf.name), String(pf.vfs));
  return stopped;
}

/** Waits for the VFs to settle; what is still missing when the policy runs out is fatal. */
async function awaitVfs(ctx: StageContext, policy: RetryPolicy, iproute: Iproute): Promise<Observed> {
  try {
    return await retryTransient(async () => {
      // Each look is at the node as it is now, not at what an earlier look or the check remembered.
      forgetObservations(ctx.host);
      const o = await survey(ctx.host, ctx.plan, iproute);
      requireSettled(o);
      return o;
    }, policy, undefined, ctx.signal);
  } catch (error) {
    if (error instanceof NotReadyError) throw new FatalError(error.message, { hint: error.hint });
    throw error;
  }
}

async function apply(ctx: StageContext, policy: RetryPolicy): Promise<void> {
  const iproute = await probeIproute(ctx.host);
  const o = await survey(ctx.host, ctx.plan, iproute);
  const blocking = findings(o, 'fatal');
  if (blocking.length > 0) throw fatal(blocking);
  const stopped: string[] = [];
  for (const entry of o.pfs) stopped.push(...(await setVfCount(ctx, entry)));
  const settled = await awaitVfs(ctx, policy, iproute);
  for (const name of stopped) {
    ctx.log(`starting ${name} again on its VF`);
    const r = await ctx.host.exec(['lxc-start', '-n', name, '-d']);
    if (r.code !== 0) {
      throw new FatalError(`lxc-start -n ${name} after the VF resize failed (exit ${r.code}): ${tail(r.stderr, 2)}`, {
        hint: `see why with: lxc-start -n ${name} -F -l DEBUG -o /tmp/${name}.log; container-create starts it again on the next run`,
      });
    }
  }
  if (rulesChange(settled)) {
    if (settled.rules.wanted === undefined) await ctx.host.run(['rm', '-f', UDEV_RULES_PATH]);
    else await ctx.host.writeFile(UDEV_RULES_PATH, settled.rules.wanted);
  }
}

function outputsOf(o: Observed): VfVerifyOutputs {
  return { iproute: o.iproute, pfs: o.pfs.map(({ assessment, sysfs }) => ({ name: assessment.name, pci: sysfs.pci, vfs: assessment.vfs })) };
}

async function verify(ctx: StageContext): Promise<VfVerifyOutputs> {
  await observeVfs(ctx.host, ctx.plan);
  const o = await survey(ctx.host, ctx.plan, await probeIproute(ctx.host));
  requireSettled(o);
  return outputsOf(o);
}

export interface VfVerifyOptions {
  /** How long apply waits for the VFs to appear before the shortfall is fatal. */
  settle: RetryPolicy;
}

export function createVfVerifyStage(options: VfVerifyOptions): Stage {
  return {
    id: VF_VERIFY_ID,
    title: 'Verify the SR-IOV virtual functions',
    inputs: (plan) => ({
      pfs: plan.pfs.map((pf) => ({ name: pf.name, vfs: pf.vfs, vfCreation: pf.vfCreation })),
      pfModule: plan.driver.pfModule,
      vfModule: plan.driver.vfModule,
    }),
    check,
    apply: (ctx) => apply(ctx, options.settle),
    verify,
  };
}

export const vfVerifyStage = createVfVerifyStage({ settle: DEFAULT_TIMINGS.settle });
