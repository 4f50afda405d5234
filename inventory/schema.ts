// The inventory file's schema. Every string that can reach a command on a node is constrained
// here to what the kernel, LXC or the tool accepts, so hostile input is refused before any host is
// touched (commands are quoted as well: this is the first of two walls, not the only one).
import { z } from 'zod';
import { NIC_MODELS } from './nics.ts';

// Kernel interface names: at most 15 bytes (IFNAMSIZ - 1), no '/', ':', whitespace.
const IFNAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;
// LXC container names become directory names under /var/lib/lxc and hostnames.
const CONTAINER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
// Inventory host names become state directory names.
export const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
// A DNS name or an IPv4/IPv6 literal; never starting with '-' (it would read as an ssh option).
const ADDRESS = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|[0-9A-Fa-f:.]+)$/;
// An absolute path on a node, of plain characters, with no '..' component.
const NODE_PATH = /^\/(?:[A-Za-z0-9_.+@-]+\/?)*$/;
const MAC = /^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$/;
const IPV4_CIDR = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\/(3[0-2]|[12]?\d)$/;
const IPV4 = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const KERNEL_PARAM_KEY = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const KERNEL_PARAM_VALUE = /^[A-Za-z0-9_.,:=+\/-]*$/;
const MEMORY = /^[1-9]\d*[KMG]?$/;
const CPUSET = /^\d+(?:-\d+)?(?:,\d+(?:-\d+)?)*$/;
const RATE = /^[1-9]\d*(?:\.\d+)?(?:bit|kbit|mbit|gbit|tbit|bps|kbps|mbps|gbps|tbps)$/;
const TEMPLATE = /^[a-z0-9][a-z0-9_-]*$/;
const MODULE = /^[a-z0-9_]+$/;
// An argument passed to a template or a module: printable, no control characters.
const PLAIN_ARG = /^[^\x00-\x1f\x7f]*$/;

const noDotDot = (p: string) => !p.split('/').includes('..');

export const nodePath = z
  .string()
  .regex(NODE_PATH, 'must be an absolute path of letters, digits and _ . + @ - (no spaces or shell characters)')
  .refine(noDotDot, 'must not contain a ".." component')
  .refine((p) => p.length <= 255, 'must be at most 255 characters');

/** A path on the controller: relative to the inventory file, absolute, or ~/... */
const localPath = z
  .string()
  .min(1)
  .max(4096)
  .regex(/^[^\x00-\x1f\x7f]+$/, 'must not contain control characters (newlines, tabs)');

export const macAddress = z
  .string()
  .regex(MAC, 'must be a MAC address like 02:1a:2b:3c:4d:5e')
  .refine((m) => (parseInt(m.slice(0, 2), 16) & 1) === 0, 'must be a unicast MAC (the lowest bit of the first octet is the multicast bit)')
  .refine((m) => !/^(00:){5}00$/.test(m), 'must not be all zeros');

const ifname = z.string().regex(IFNAME, 'must be a kernel interface name: 1-15 letters, digits, _ . - (no spaces, "/", ":" or shell characters)');

const sshFields = {
  address: z.string().max(253).regex(ADDRESS, 'must be a DNS name or an IP address'),
  user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a POSIX user name (lower-case letters, digits, _ -)'),
  port: z.number().int().min(1).max(65535),
  key: localPath,
  agent: z.boolean(),
  knownHosts: localPath,
  sshConfigHost: z.string().regex(/^[A-Za-z0-9_.-]{1,253}$/, 'must be a Host alias of ~/.ssh/config (letters, digits, _ . -)'),
};

// Per-VF settings through the PF (`ip link set PF vf N ...`); vlan 0 and maxTxRate 0 mean none.
const vfSettingsSchema = z.strictObject({
  vlan: z.number().int().min(0).max(4095).optional(),
  qos: z.number().int().min(0).max(7).optional(),
  spoofchk: z.boolean().optional(),
  trust: z.boolean().optional(),
  linkState: z.enum(['auto', 'enable', 'disable']).optional(),
  /** Mbit/s. */
  maxTxRate: z.number().int().min(0).max(1_000_000).optional(),
});

const pfSchema = z.strictObject({
  name: ifname,
  vfs: z.number().int().min(0).max(256),
  // auto: max_vfs where the PF driver has that parameter (ixgbe), sysfs elsewhere.
  vfCreation: z.enum(['auto', 'max_vfs', 'sysfs']).default('auto'),
  macs: z.union([z.literal('auto'), z.array(macAddress)]).default('auto'),
  // `all` for every VF of the PF, a VF index for one VF (its keys win over all's).
  vfSettings: z.record(z.string().regex(/^(?:all|\d{1,3})$/, 'must be "all" or a VF index'), vfSettingsSchema).default({}),
});

const namedPatch = z.enum(['centos7-slow-boot']);
const customPatch = z.strictObject({
  file: nodePath,
  find: z.string().min(1).max(65536),
  replace: z.string().max(65536),
});

const containerSchema = z.strictObject({
  name: z.string().regex(CONTAINER_NAME, 'must be an LXC container name: letters, digits, _ . - (at most 63, no "/" or spaces)'),
  template: z.string().regex(TEMPLATE, 'must be an LXC template name (lower-case letters, digits, _ -), e.g. centos, debian, busybox'),
  templateArgs: z.array(z.string().max(256).regex(PLAIN_ARG, 'must not contain control characters')).max(64).default([]),
  templatePatches: z.array(z.union([namedPatch, customPatch])).default([]),
  vf: z.strictObject({ pf: ifname, index: z.number().int().min(0).max(255) }),
  address: z.string().regex(IPV4_CIDR, 'must be an IPv4 address with prefix length, e.g. 192.168.10.11/24').optional(),
  gateway: z.string().regex(IPV4, 'must be an IPv4 address').optional(),
  autostart: z.boolean().default(true),
  limits: z
    .strictObject({
      memory: z.string().regex(MEMORY, 'must be a size like 512M or 8G').optional(),
      cpus: z.string().regex(CPUSET, 'must be a cpuset list like 0-3,8').optional(),
    })
    .default({}),
  devices: z.array(nodePath.refine((p) => p.startsWith('/dev/'), 'must be a device under /dev/')).max(256).default([]),
  rate: z.string().regex(RATE, 'must be a tc rate like 500mbit or 10gbit').optional(),
});

const driverSchema = z.strictObject({
  source: z.enum(['tarball', 'inbox']),
  pf: localPath.optional(),
  vf: localPath.optional(),
  // Absent: the NIC's drivers (detected from the PF's PCI id, or the pinned nic).
  pfModule: z.string().regex(MODULE, 'must be a kernel module name').optional(),
  vfModule: z.string().regex(MODULE, 'must be a kernel module name').optional(),
});

/**
 * The benchmark profiles (benchmark/run/profiles.ts): `standard` (the default: the paper's tests at
 * their headline points, ±5 points within 10 minutes), `paper` (the paper's full sweep, hours),
 * `quick` (seconds, for the demo and the tests).
 */
export const BENCH_PROFILES = ['standard', 'paper', 'quick'] as const;
export type BenchProfileName = (typeof BENCH_PROFILES)[number];

const benchmarkSchema = z.strictObject({
  profile: z.enum(BENCH_PROFILES).default('standard'),
  peer: z.string().regex(IPV4, 'must be the IPv4 address of the iperf3 server').optional(),
  fio: z.strictObject({ directory: nodePath }).default({ directory: '/srv/bench' }),
  penaltyThreshold: z.number().min(0).max(100).default(10),
  /** Repetitions of every measurement instead of the profile's (more tighten the intervals). */
  repetitions: z.number().int().min(2).max(50).optional(),
  /** Percentage points: each point is measured again until its interval's half-width is at most this (or the profile's time budget is spent). */
  precision: z.number().gt(0).max(100).optional(),
  /** Seconds of measuring after which no point gets another round (instead of the profile's; the minimum rounds are always taken). */
  budget: z.number().int().min(0).max(604_800).optional(),
  /** The gate, percent per metric family: a penalty whose whole interval is past it fails the stage. */
  maxPenalty: z.partialRecord(z.enum(['network', 'iops', 'bandwidth', 'latency']), z.number().min(0).max(1000)).optional(),
});

/** Fields a host may take from `defaults`. */
const hostFields = {
  ...sshFields,
  distro: z.enum(['auto', 'centos7', 'debian12', 'alma8', 'alma9', 'ubuntu2404']),
  nic: z.enum(['auto', ...NIC_MODELS]),
  iommu: z.enum(['off', 'on', 'pt']),
  hugepages: z.strictObject({
    count: z.number().int().min(0).max(1_000_000),
    size: z.enum(['2M', '1G']).default('2M'),
    mount: nodePath.default('/mnt/huge'),
  }),
  kernelParams: z.record(
    z.string().regex(KERNEL_PARAM_KEY, 'must be a kernel parameter name (letters, digits, _ . -)'),
    z.union([z.string().max(256).regex(KERNEL_PARAM_VALUE, 'must be a value without spaces or quotes'), z.null()], {
      error: (issue) => (issue.code === 'invalid_union' ? 'must be a text value, or null for a flag without a value' : undefined),
    }),
  ),
  trialBoot: z.boolean(),
  /** Lets kernelParams weaken the node's security (host-checks.ts's UNSAFE list). */
  allowUnsafeKernelParams: z.boolean(),
  driver: driverSchema,
  pfs: z.array(pfSchema).min(1).max(16),
  containers: z.array(containerSchema).max(256),
  benchmark: benchmarkSchema,
};

export const hostSchema = z.strictObject({
  ...hostFields,
  address: hostFields.address,
  user: hostFields.user.default('root'),
  port: hostFields.port.default(22),
  key: hostFields.key.optional(),
  agent: hostFields.agent.default(false),
  knownHosts: hostFields.knownHosts.optional(),
  sshConfigHost: hostFields.sshConfigHost.optional(),
  distro: hostFields.distro.default('auto'),
  nic: hostFields.nic.default('auto'),
  iommu: hostFields.iommu.default('pt'),
  hugepages: hostFields.hugepages.optional(),
  kernelParams: hostFields.kernelParams.default({}),
  trialBoot: hostFields.trialBoot.default(true),
  allowUnsafeKernelParams: hostFields.allowUnsafeKernelParams.default(false),
  driver: hostFields.driver.default({ source: 'inbox' }),
  containers: hostFields.containers.default([]),
  benchmark: hostFields.benchmark.default({ profile: 'paper', fio: { directory: '/srv/bench' }, penaltyThreshold: 10 }),
});

export const defaultsSchema = z.strictObject(hostFields).partial();

export const inventorySchema = z.strictObject({
  defaults: defaultsSchema.optional(),
  hosts: z.record(z.string().regex(HOST_NAME, 'must be a host name: letters, digits, _ . - (at most 63)'), z.record(z.string(), z.unknown())),
});

export type HostInput = z.infer<typeof hostSchema>;
export type ContainerInput = z.infer<typeof containerSchema>;
