// Stage 1, bios-verify (paper section 2, "BIOS configuration"): is this node fit for SR-IOV, before
// anything on it is changed? Read-only: check is done with the facts when it is, and otherwise
// fails with every diagnosis at once. Its outputs (distro, kernel, PFs) feed the later stages.
import type { HostPlan } from '../inventory/plan.ts';
import { parseCpuinfo, virtualizationSupport } from '../node/parse/cpuinfo.ts';
import { memTotalBytes } from '../node/parse/meminfo.ts';
import type { CheckResult, Stage, StageContext, StageOutputs } from '../engine/stage.ts';
import { distroMismatch, readNodeDistro, type NodeDistro } from '../node/facts/distro.ts';
import { problemsError, type Problem } from '../node/facts/findings.ts';
import { assessIommu, readIommu, type IommuState } from '../node/facts/iommu.ts';
import { observePfModels, pfReads, readPf, type PfFacts } from '../node/facts/pf-facts.ts';
import { observe } from '../hosts/observing-host.ts';
import { IOMMU_READ } from '../node/facts/iommu.ts';
import { UNAME_ARGV } from '../node/drivers/modules.ts';

export interface BiosFacts {
  cpuVirt: 'vmx' | 'svm';
  kernel: string;
  distro: NodeDistro;
  iommu: IommuState;
  pfs: PfFacts[];
}

interface Inspection {
  facts: Partial<BiosFacts> & { pfs: PfFacts[] };
  problems: Problem[];
  notes: string[];
}

async function inspectCpu(ctx: StageContext, found: Inspection): Promise<void> {
  const text = await ctx.host.readFile('/proc/cpuinfo');
  if (text === undefined) {
    found.problems.push({ message: 'cannot read /proc/cpuinfo', hint: 'check that /proc is mounted on the node' });
    return;
  }
  const cpu = parseCpuinfo(text);
  const virt = virtualizationSupport(cpu.flags);
  if (virt) {
    found.facts.cpuVirt = virt;
    return;
  }
  const amd = /\bAMD\b/i.test(cpu.modelName ?? '');
  found.problems.push({
    message: amd
      ? 'AMD-V is disabled in the BIOS (no vmx/svm flag in /proc/cpuinfo): enable SVM Mode'
      : 'VT-x is disabled in the BIOS (no vmx/svm flag in /proc/cpuinfo): enable Intel Virtualization Technology',
    hint: `enable ${amd ? 'SVM Mode (AMD-V)' : 'Intel Virtualization Technology (VT-x)'} in the BIOS/UEFI setup and power-cycle the node; on a virtual machine, enable nested virtualisation`,
  });
}

const PAGE_BYTES = { '2M': 2 * 2 ** 20, '1G': 2 ** 30 } as const;
// Huge pages are taken out of MemTotal for good; the kernel, sshd and the containers' ordinary
// memory need the rest. A plan above this share of the node's memory cannot boot usefully.
const HUGEPAGES_MAX_SHARE = 0.9;
const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

async function inspectMemory(ctx: StageContext, found: Inspection): Promise<void> {
  const hp = ctx.plan.hugepages;
  if (!hp || hp.count === 0) return;
  const text = await ctx.host.readFile('/proc/meminfo');
  if (text === undefined) {
    found.problems.push({ message: 'cannot read /proc/meminfo', hint: 'check that /proc is mounted on the node' });
    return;
  }
  const total = memTotalBytes(text);
  const planned = hp.count * PAGE_BYTES[hp.size];
  if (planned > total * HUGEPAGES_MAX_SHARE) {
    found.problems.push({
      message: `hugepages ${hp.count} × ${hp.size} = ${gib(planned)} is more than ${HUGEPAGES_MAX_SHARE * 100}% of the node's memory (MemTotal ${gib(total)})`,
      hint: `lower hugepages.count in the inventory to at most ${Math.floor((total * HUGEPAGES_MAX_SHARE) / PAGE_BYTES[hp.size])}`,
    });
  } else {
    found.notes.push(`hugepages: ${hp.count} × ${hp.size} = ${gib(planned)} of MemTotal ${gib(total)}`);
  }
}

async function inspectDistro(ctx: StageContext, found: Inspection): Promise<void> {
  const distro = await readNodeDistro(ctx.host);
  if (!distro) {
    found.problems.push({ message: 'no /etc/os-release: cannot tell the distribution', hint: 'sriov-lxc supports the RHEL family (CentOS 7+) and the Debian family' });
    return;
  }
  const mismatch = distroMismatch(ctx.plan.distro, distro);
  if (mismatch) {
    found.problems.push({
      message: mismatch,
      hint: distro.family === 'unknown'
        ? 'sriov-lxc supports the RHEL family (CentOS, Rocky, Alma, Fedora) and the Debian family (Debian, Ubuntu)'
        : 'set distro: auto (or the right one) for this host in the inventory',
    });
  }
  found.facts.distro = distro;
}

const NETDEVS_ARGV = ['ls', '-A', '/sys/class/net'];

async function inspect(ctx: StageContext): Promise<Inspection> {
  const found: Inspection = { facts: { pfs: [] }, problems: [], notes: [] };
  // Everything below reads, in one round trip.
  await observe(ctx.host, [
    { file: '/proc/cpuinfo' },
    { file: '/proc/meminfo' },
    IOMMU_READ,
    { file: '/proc/cmdline' },
    { argv: NETDEVS_ARGV },
    ...pfReads(ctx.plan.pfs),
    { argv: UNAME_ARGV },
    { file: '/etc/os-release' },
  ]);
  await observePfModels(ctx.host, ctx.plan.pfs);
  await inspectCpu(ctx, found);
  await inspectMemory(ctx, found);

  const iommu = await readIommu(ctx.host);
  const assessment = assessIommu(ctx.plan.iommu, iommu, (await ctx.host.readFile('/proc/cmdline')) ?? '');
  found.facts.iommu = iommu;
  found.notes.push(assessment.note);
  if (assessment.problem) found.problems.push(assessment.problem);

  const netdevs = (await ctx.host.exec(NETDEVS_ARGV)).stdout.split('\n').filter((n) => n !== '');
  for (const pf of ctx.plan.pfs) {
    const reading = await readPf(ctx.host, pf, netdevs, ctx.plan.firmware !== undefined);
    if (reading.problem) {
      found.problems.push(reading.problem);
    } else {
      const f = reading.facts;
      found.facts.pfs.push(f);
      const nic = f.nic ? `${f.nic} NIC` : `NIC ${f.pciId ?? '?'} not one sriov-lxc knows (drivers as the inventory says)`;
      const supports = f.firmwareOff
        ? `SR-IOV ${f.totalVfs === 0 ? 'off' : `at ${f.totalVfs} VFs`} in the NIC firmware now: nic-firmware sets SRIOV_EN=1 NUM_OF_VFS=${ctx.plan.firmware?.numVfs ?? pf.vfs}, active after the reboot`
        : `up to ${f.totalVfs} VFs`;
      found.notes.push(`${f.name}: ${f.pci} ${f.model ?? '(model unknown: no lspci output; is pciutils installed?)'} (${nic}), driver ${f.driver ?? 'none'}, ${supports} (${pf.vfs} planned)`);
    }
  }

  found.facts.kernel = (await ctx.host.run(UNAME_ARGV)).stdout.trim();
  await inspectDistro(ctx, found);
  return found;
}

function complete(found: Inspection): BiosFacts | undefined {
  const { cpuVirt, kernel, distro, iommu, pfs } = found.facts;
  return cpuVirt && kernel !== undefined && distro && iommu ? { cpuVirt, kernel, distro, iommu, pfs } : undefined;
}

/** The facts of a fit node, with notes for the person watching; throws the diagnosis otherwise. */
async function fitFacts(ctx: StageContext): Promise<{ facts: BiosFacts; notes: string[] }> {
  const found = await inspect(ctx);
  const facts = complete(found);
  if (found.problems.length > 0 || !facts) throw problemsError(ctx.host.name, found.problems);
  return { facts, notes: found.notes };
}

function summary(facts: BiosFacts): string {
  const cpu = facts.cpuVirt === 'vmx' ? 'VT-x' : 'AMD-V';
  const pfs = facts.pfs.map((p) => `${p.name} ${p.pci}${p.nic ? ` ${p.nic}` : ''} (${p.firmwareOff ? 'SR-IOV off in firmware until the reboot' : `${p.totalVfs} VFs`})`).join(', ');
  const distro = facts.distro.prettyName ?? `${facts.distro.id} ${facts.distro.versionId ?? ''}`;
  return `fit for SR-IOV: ${cpu} on, ${pfs}; ${distro}, kernel ${facts.kernel}`;
}

export const biosVerifyStage: Stage = {
  id: 'bios-verify',
  title: 'Verify BIOS settings and hardware',
  inputs: (plan: HostPlan) => ({ distro: plan.distro, iommu: plan.iommu, pfs: plan.pfs.map((p) => ({ name: p.name, vfs: p.vfs })), hugepages: plan.hugepages ? [plan.hugepages.count, plan.hugepages.size] : null, firmware: plan.firmware ?? null }),

  async check(ctx): Promise<CheckResult> {
    const { facts, notes } = await fitFacts(ctx);
    for (const note of notes) ctx.log(note);
    return { done: true, reason: summary(facts), outputs: { ...facts } };
  },

  // Nothing to change: a node that is not fit fails in check, before any stage touches it.
  async apply() {},

  async verify(ctx): Promise<StageOutputs> {
    const { facts } = await fitFacts(ctx);
    return { ...facts };
  },
};
