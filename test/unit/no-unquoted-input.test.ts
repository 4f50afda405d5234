// Bad input never reaches a host unquoted (issue 6). Two walls:
// (a) the inventory schema refuses hostile values before any host is touched, with the field, the
//     value and what is allowed (more cases in inventory.test.ts);
// (b) whatever the schema lets through reaches the node only as quoted argv words or positional
//     parameters: every stage runs (check → apply → verify) against a lab node through an SSH
//     host that records each command line it sends, with an inventory whose values use every
//     character the schema allows that means something to a shell, a path or the kernel.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { resolveEndpoint } from '../../hosts/connect.ts';
import type { ExecOptions, ExecResult } from '../../hosts/host.ts';
import { envExports, remoteCommandLine } from '../../hosts/quote.ts';
import { commandEnv } from '../../hosts/command-env.ts';
import { SshHost } from '../../hosts/ssh.ts';
import { MAC_SCRIPT_PATH } from '../../node/vfs/mac-boot-files.ts';
import { PROVISION_STAGES } from '../../workflows/provision-workflow.ts';
import { TEARDOWN_STAGES } from '../../workflows/teardown-workflow.ts';
import { UsageError } from '../../core/errors.ts';
import { DEFAULT_TIMINGS } from '../../core/retry.ts';
import { runWorkflow } from '../../engine/run.ts';
import { parseInventory } from '../../inventory/load.ts';
import type { HostPlan } from '../../inventory/plan.ts';
import { labForTest } from '../helpers/fault-lab.ts';
import { NODE, onNode } from '../helpers/lab-fixture.ts';

const FILE = '/tmp/inv/inventory.yaml';
/** A container host name that means something to a shell (two dots: lxc-centos keeps it as given). */
const FQDN = "c.1-x_y.`id` $(x) 'q' a;b.example";
const host = (fields: string, pf = 'name: enp4s0f0') => `
hosts:
  node1:
    address: 10.0.0.1
    pfs:
      - ${pf}
        vfs: 2
${fields}`;
const container = (fields: string) => host(`    containers:\n      - { name: c1, template: busybox, vf: { pf: enp4s0f0, index: 0 }${fields} }`);

// (a) Each refused with the field's path, the bad value as JSON and what is allowed.
const hostile: [string, string, RegExp][] = [
  ['a quote in a container name', host(`    containers:\n      - { name: "c'1", template: busybox, vf: { pf: enp4s0f0, index: 0 } }`), /containers\[0\]\.name: "c'1" must be an LXC container name/],
  ['a quote in an interface name', host('', `name: "eth0'"`), /pfs\[0\]\.name: "eth0'" must be a kernel interface name/],
  ['a bidi control character in an interface name', host('', 'name: "eth0\\u202e"'), /pfs\[0\]\.name: "eth0\u202e" must be a kernel interface name/],
  ['a double quote in a kernel param value', host(`    kernelParams: { foo: 'a"b' }`), /kernelParams\.foo: "a\\"b" must be a value without spaces or quotes/],
  ['$() in a kernel param value', host('    kernelParams: { foo: "$(reboot)" }'), /kernelParams\.foo: "\$\(reboot\)" must be a value without spaces or quotes/],
  ['a space in a kernel param value', host('    kernelParams: { foo: "a b" }'), /kernelParams\.foo: "a b" must be a value without spaces or quotes/],
  ['; in a kernel param name', host('    kernelParams: { "foo;reboot": null }'), /kernelParams\.foo;reboot: "foo;reboot" is not a valid key/],
  ['; in the SSH user', host('    user: "root;id"'), /user: "root;id" must be a POSIX user name/],
  ['a newline in the address', host('').replace('address: 10.0.0.1', 'address: "10.0.0.1\\nProxyCommand id"'), /address: "10\.0\.0\.1\\nProxyCommand id" must be a DNS name or an IP address/],
  ['backticks in the ssh_config alias', host('    sshConfigHost: "`id`"'), /sshConfigHost: "`id`" must be a Host alias/],
  ['a newline in the key path', host('    key: "id\\nrsa"'), /key: "id\\nrsa" must not contain control characters/],
  ['a NUL in the known_hosts path', host('    knownHosts: "kh\\u0000x"'), /knownHosts: "kh\\u0000x" must not contain control characters/],
  ['; in a memory limit', container(', limits: { memory: "1G; reboot" }'), /limits\.memory: "1G; reboot" must be a size like 512M or 8G/],
  ['backticks in a tc rate', container(', rate: "1gbit`id`"'), /rate: "1gbit`id`" must be a tc rate/],
  ['&& in a gateway', container(', gateway: "10.0.0.1 && reboot"'), /gateway: "10\.0\.0\.1 && reboot" must be an IPv4 address/],
  ['; after a container address', container(', address: "10.0.0.5/24; reboot"'), /address: "10\.0\.0\.5\/24; reboot" must be an IPv4 address with prefix length/],
  ['.. in a device path', container(', devices: [/dev/../etc/shadow]'), /devices\[0\]: "\/dev\/\.\.\/etc\/shadow" must not contain a "\.\." component/],
  ['a device outside /dev', container(', devices: [/etc/shadow]'), /devices\[0\]: "\/etc\/shadow" must be a device under \/dev\//],
  ['a path as the template', host(`    containers:\n      - { name: c1, template: "../../bin/sh", vf: { pf: enp4s0f0, index: 0 } }`), /template: "\.\.\/\.\.\/bin\/sh" must be an LXC template name/],
  ['.. in a template patch file', container(', templatePatches: [{ file: /etc/../root/x, find: a, replace: b }]'), /templatePatches\[0\]\.file: "\/etc\/\.\.\/root\/x" must not contain a "\.\." component/],
  ['a space in the hugetlbfs mount point', host('    hugepages: { count: 8, mount: "/mnt/my huge" }'), /hugepages\.mount: "\/mnt\/my huge" must be an absolute path of letters/],
  ['a relative fio directory', host('    benchmark: { fio: { directory: "srv/bench" } }'), /fio\.directory: "srv\/bench" must be an absolute path/],
  ['; in the benchmark peer', host('    benchmark: { peer: "10.0.0.1;id" }'), /benchmark\.peer: "10\.0\.0\.1;id" must be the IPv4 address of the iperf3 server/],
  ['; in a module name', host('    driver: { source: inbox, pfModule: "ixgbe;reboot" }'), /driver\.pfModule: "ixgbe;reboot" must be a kernel module name/],
  ['; in a host name', 'hosts:\n  "node;1": { address: a, pfs: [{ name: eth0, vfs: 1 }] }\n', /hosts\.node;1: "node;1" is not a valid key: must be a host name/],
  ['a 64-character container name', host(`    containers:\n      - { name: "${'c'.repeat(64)}", template: busybox, vf: { pf: enp4s0f0, index: 0 } }`), /containers\[0\]\.name: "c{64}" must be an LXC container name: .*at most 63/],
  ['a 257-character kernel param value', host(`    kernelParams: { foo: "${'a'.repeat(257)}" }`), /kernelParams\.foo: "a{257}" Too big: expected string to have <=256 characters/],
  ['a 257-character template argument', container(`, templateArgs: ["${'a'.repeat(257)}"]`), /templateArgs\[0\]: "a{257}" Too big: expected string to have <=256 characters/],
  ['a port out of range', host('    port: 70000'), /port: 70000 Too big: expected number to be <=65535/],
  ['two million huge pages', host('    hugepages: { count: 2000000 }'), /hugepages\.count: 2000000 Too big/],
  ['a port as a string', host('    port: "22"'), /port: "22" Invalid input: expected number, received string/],
  ['containers as a mapping', host('    containers: { name: c1 }'), /containers: \{"name":"c1"\} Invalid input: expected array, received object/],
  ['autostart as a string', container(', autostart: "yes"'), /autostart: "yes" Invalid input: expected boolean, received string/],
  ['a number as a kernel param value', host('    kernelParams: { foo: 5 }'), /kernelParams\.foo: 5 must be a text value, or null for a flag without a value/],
  ['one MAC on two PFs of a host', 'hosts:\n  node1:\n    address: 10.0.0.1\n    pfs:\n      - { name: enp4s0f0, vfs: 1, macs: ["02:00:00:00:00:01"] }\n      - { name: enp4s0f1, vfs: 1, macs: ["02:00:00:00:00:01"] }\n', /pfs\[1\]\.macs\[0\]: "02:00:00:00:00:01" duplicates hosts\.node1\.pfs\[0\]\.macs\[0\]/],
  // Issue 17 (13, 6): syntactically fine, harmful on a node.
  ['__proto__ as a host key', host('    __proto__: { user: admin }'), /hosts\.node1\.__proto__: unknown key/],
  ['__proto__ in a PF', host('', 'name: enp4s0f0\n        __proto__: { vfs: 8 }'), /hosts\.node1\.pfs\[0\]\.__proto__: unknown key/],
  ['a 10 MB value', host(`    iommu: "${'x'.repeat(10_000_000)}"`), /iommu: "x{299}… \(10000002 characters\) must be one of/],
  ['the fio directory in /tmp', host('    benchmark: { fio: { directory: /tmp } }'), /fio\.directory: "\/tmp" is in \/tmp, which every local user can write/],
  ['the fio directory under /var/tmp', host('    benchmark: { fio: { directory: /var/tmp/bench } }'), /fio\.directory: "\/var\/tmp\/bench" is in \/var\/tmp/],
  ['the fio directory under /dev/shm', host('    benchmark: { fio: { directory: /dev/shm/b } }'), /fio\.directory: "\/dev\/shm\/b" is in \/dev\/shm/],
  ['intel_iommu against iommu: pt', host('    iommu: pt\n    kernelParams: { intel_iommu: "off" }'), /kernelParams\.intel_iommu: "off" is set by sriov-lxc from the host's iommu:/],
  ['iommu= against the iommu choice', host('    kernelParams: { iommu: "off" }'), /kernelParams\.iommu: "off" is set by sriov-lxc from the host's iommu:/],
  ['hugepages= against hugepages:', host('    hugepages: { count: 8 }\n    kernelParams: { hugepages: "4096" }'), /kernelParams\.hugepages: "4096" is set by sriov-lxc from hugepages:/],
  ['hugepagesz= against hugepages:', host('    hugepages: { count: 8 }\n    kernelParams: { default_hugepagesz: 1G }'), /kernelParams\.default_hugepagesz: "1G" is set by sriov-lxc from hugepages:/],
  ['max_vfs against pfs', host('    kernelParams: { ixgbe.max_vfs: "63,63" }'), /kernelParams\.ixgbe\.max_vfs: "63,63" is set by sriov-lxc from pfs\[\]\.vfs/],
  ['init=/bin/sh', host('    kernelParams: { init: /bin/sh }'), /kernelParams\.init: "\/bin\/sh" replaces what the node boots/],
  ['rdinit=', host('    kernelParams: { rdinit: /bin/sh }'), /kernelParams\.rdinit: "\/bin\/sh" replaces what the node boots/],
  ['single (rescue mode)', host('    kernelParams: { single: null }'), /kernelParams\.single: "single" replaces what the node boots/],
  ['a kernel command line past 2048 bytes', host(`    kernelParams: { ${Array.from({ length: 7 }, (_, i) => `p${i}: "${'v'.repeat(250)}"`).join(', ')} }`), /kernelParams: with the planned params would make a kernel command line of 1\d\d\d bytes; with 512 bytes kept for the node's own params .* at most 1535 fit in the kernel's 2048/],
  // Issue 24: the kernel reads - and _ alike in param names; the checks compared literally.
  ['intel-iommu against iommu: pt', host('    kernelParams: { intel-iommu: "off" }'), /kernelParams\.intel-iommu: "off" is set by sriov-lxc from the host's iommu: .* \(intel_iommu to the kernel, which reads - and _ alike in names\)/],
  ['default-hugepagesz against hugepages:', host('    hugepages: { count: 8 }\n    kernelParams: { default-hugepagesz: 1G }'), /kernelParams\.default-hugepagesz: "1G" is set by sriov-lxc from hugepages:/],
  ['ixgbe.max-vfs against pfs', host('    kernelParams: { ixgbe.max-vfs: "63" }'), /kernelParams\.ixgbe\.max-vfs: "63" is set by sriov-lxc from pfs\[\]\.vfs/],
  ['rd.break', host('    kernelParams: { rd.break: null }'), /kernelParams\.rd\.break: "rd\.break" replaces what the node boots/],
  ['kexec-load-disabled', host('    kernelParams: { kexec-load-disabled: "1" }'), /kernelParams\.kexec-load-disabled: "1" replaces what the node boots .*\(kexec_load_disabled to the kernel/],
  ['one param in two spellings', host('    kernelParams: { foo-bar: "1", foo_bar: "2" }'), /kernelParams\.foo_bar: "2" is the same parameter as kernelParams\.foo-bar to the kernel/],
  ['systemd.debug_shell', host('    kernelParams: { systemd.debug_shell: null }'), /kernelParams\.systemd\.debug_shell: "systemd\.debug_shell" starts a root shell without a password on tty9: unsafe for a provisioning tool to set on a shared node; remove it, or set allowUnsafeKernelParams: true/],
  ['systemd.debug-shell', host('    kernelParams: { systemd.debug-shell: "1" }'), /kernelParams\.systemd\.debug-shell: "1" starts a root shell .*\(systemd\.debug_shell to the kernel/],
  ['selinux=0', host('    kernelParams: { selinux: "0" }'), /kernelParams\.selinux: "0" turns SELinux off: unsafe/],
  ['enforcing=00', host('    kernelParams: { enforcing: "00" }'), /kernelParams\.enforcing: "00" puts SELinux in permissive mode/],
  ['mitigations=off', host('    kernelParams: { mitigations: "off" }'), /kernelParams\.mitigations: "off" turns off every CPU vulnerability mitigation/],
  ['a memory limit of 99999999999999999999G', container(', limits: { memory: 99999999999999999999G }'), /limits\.memory: "99999999999999999999G" is more than any machine has/],
  ['a memory limit of 100T as G', container(', limits: { memory: 102400G }'), /limits\.memory: "102400G" is more than any machine has/],
  ['a template patch on /etc/shadow', container(', templatePatches: [{ file: /etc/shadow, find: "root:", replace: "root::" }]'), /templatePatches\[0\]\.file: "\/etc\/shadow" is not a file of LXC's templates or containers/],
  ['a template patch on root\'s keys', container(', templatePatches: [{ file: /root/.ssh/authorized_keys, find: a, replace: b }]'), /templatePatches\[0\]\.file: "\/root\/\.ssh\/authorized_keys" is not a file of LXC's/],
  ['the same address twice', 'hosts:\n  a: { address: 10.0.0.1, pfs: [{ name: eth0, vfs: 1 }] }\n  b: { address: 10.0.0.1, pfs: [{ name: eth1, vfs: 1 }] }\n', /hosts\.b: is the same node as hosts\.a \(10\.0\.0\.1 port 22\)/],
  ['the same name in two spellings', 'hosts:\n  a: { address: Node1.Example, port: 2222, pfs: [{ name: eth0, vfs: 1 }] }\n  b: { address: node1.example., port: 2222, pfs: [{ name: eth1, vfs: 1 }] }\n', /hosts\.b: is the same node as hosts\.a \(node1\.example port 2222\)/],
  ['the same ssh_config alias twice', 'hosts:\n  a: { address: 10.0.0.1, sshConfigHost: n1, pfs: [{ name: eth0, vfs: 1 }] }\n  b: { address: 10.0.0.2, sshConfigHost: n1, pfs: [{ name: eth1, vfs: 1 }] }\n', /hosts\.b: is the same node as hosts\.a \(ssh_config Host n1\)/],
  ...['/', '/etc', '/etc/ssh', '/./etc/ssh', '/usr', '/usr/local/huge', '/var', '/boot', '/proc', '/sys/fs', '/dev', '/dev/hugepages', '/run', '/root', '/home', '/tmp', '/tmp/huge'].map((mount): [string, string, RegExp] => [
    `hugetlbfs over ${mount}`, host(`    hugepages: { count: 8, mount: ${mount} }`), new RegExp(`hugepages\\.mount: "${mount.replaceAll('/', '\\/')}" is a system directory`),
  ]),
  ['one MAC in two spellings', 'hosts:\n  a: { address: a, pfs: [{ name: eth0, vfs: 1, macs: ["02:AA:00:00:00:01"] }] }\n  b: { address: b, pfs: [{ name: eth0, vfs: 1, macs: ["02:aa:00:00:00:01"] }] }\n', /hosts\.b\.pfs\[0\]\.macs\[0\]: "02:aa:00:00:00:01" duplicates hosts\.a\.pfs\[0\]\.macs\[0\]/],
];

for (const [title, text, expected] of hostile) {
  test(`hostile inventory refused: ${title}`, (t) => {
    const error = t.throws(() => parseInventory(text, FILE), { instanceOf: UsageError });
    t.regex(error!.message, expected);
    t.true(error!.message.startsWith(`invalid inventory ${FILE}:`), 'names the file');
    t.true(error!.message.length < 2000, 'a short message');
  });
}

// A "billion laughs": 10 aliases of 10 aliases ... (10^6 nodes) is refused as bad input (exit 2),
// not a crash with a stack trace.
test('hostile inventory refused: a YAML alias bomb', (t) => {
  const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (const [i, name] of ['b', 'c', 'd', 'e', 'f'].entries()) levels.push(`${name}: &${name} [${Array(10).fill(`*${'abcdef'[i]}`).join(', ')}]`);
  const error = t.throws(() => parseInventory(`${levels.join('\n')}\nhosts: { n: { address: a, pfs: [{ name: eth0, vfs: 1 }] } }\n`, FILE), { instanceOf: UsageError });
  t.regex(error!.message, /^invalid YAML in \/tmp\/inv\/inventory\.yaml: .*aliases expand to too many nodes/);
});

test('accepted: the same address on two ports (two nodes behind one gateway), a patch in /var/lib/lxc, a fio directory of its own', (t) => {
  const inv = parseInventory(`hosts:
  a: { address: gw.example, port: 2201, pfs: [{ name: eth0, vfs: 1 }], benchmark: { fio: { directory: /srv/tmp } } }
  b:
    address: gw.example
    port: 2202
    pfs: [{ name: eth1, vfs: 1 }]
    hugepages: { count: 8, mount: /mnt/huge }
    containers: [{ name: c1, template: busybox, vf: { pf: eth1, index: 0 }, limits: { memory: 64G }, templatePatches: [{ file: /var/lib/lxc/c1/config, find: a, replace: b }] }]
`, FILE);
  t.is(inv.hosts.length, 2);
});

test('accepted: unsafe kernel params when the inventory says allowUnsafeKernelParams; safe values of the listed names without it', (t) => {
  const allowed = parseInventory('hosts:\n  a: { address: n1, pfs: [{ name: eth0, vfs: 1 }], allowUnsafeKernelParams: true, kernelParams: { systemd.debug-shell: null, selinux: "0" } }\n', FILE);
  t.deepEqual(allowed.hosts[0]!.kernelParams.slice(-2), ['systemd.debug-shell', 'selinux=0']);
  const safe = parseInventory('hosts:\n  a: { address: n1, pfs: [{ name: eth0, vfs: 1 }], kernelParams: { selinux: "1", enforcing: "1", mitigations: auto } }\n', FILE);
  t.deepEqual(safe.hosts[0]!.kernelParams.slice(-3), ['selinux=1', 'enforcing=1', 'mitigations=auto']);
});

// Accepted on purpose: controller-side paths may climb out of the inventory's directory (they
// name the operator's own files and never reach a node: a tarball goes up under its release name),
// and template arguments may hold any printable character (they reach lxc-create as argv words).
test('accepted: .. in a controller path, shell characters in a template argument', (t) => {
  const inv = parseInventory(container(', templateArgs: ["--mirror", "`id` $(x) \'q\' \\"d\\" a;b"]').replace('    containers:', '    key: ../keys/id_ed25519\n    containers:'), FILE);
  t.is(inv.hosts[0]!.ssh.key, '/tmp/keys/id_ed25519');
  t.deepEqual(inv.hosts[0]!.containers[0]!.templateArgs, ['--mirror', '`id` $(x) \'q\' "d" a;b']);
});

// (b) ---------------------------------------------------------------------------------------

interface Sent {
  argv: string[];
  env?: Readonly<Record<string, string>>;
  /** The command line the SSH channel carried. */
  line: string;
  stdin?: string;
}

/** The SSH host of the tool, recording every command line it sends (readFile/writeFile/upload included: they go through exec). */
class RecordingSshHost extends SshHost {
  readonly sent: Sent[] = [];
  override async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    this.sent.push({ argv: [...argv], ...(options.env ? { env: options.env } : {}), line: remoteCommandLine(argv, commandEnv(options.env)), ...(options.stdin !== undefined ? { stdin: Buffer.from(options.stdin).toString('utf8') } : {}) });
    return super.exec(argv, options);
  }
}

/** The argv a POSIX shell makes of a command line (nothing runs but printf). */
function shellWords(line: string): string[] {
  const r = spawnSync('sh', ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sh could not read ${JSON.stringify(line)}: ${r.stderr}`);
  return r.stdout.split('\0').slice(0, -1);
}

/** Whether sh reads a sent line (`export K=V; ... exec ARGV`) as exactly its argv and environment. */
function readsBack(s: Sent): boolean {
  const env = commandEnv(s.env);
  const prefix = `${envExports(env)}exec `;
  if (!s.line.startsWith(prefix)) return false;
  const names = Object.keys(env);
  const values = spawnSync('sh', ['-c', `${envExports(env)}printf '%s\\0' ${names.map((n) => `"$${n}"`).join(' ')}`], { encoding: 'utf8' }).stdout.split('\0').slice(0, -1);
  return JSON.stringify(values) === JSON.stringify(names.map((n) => env[n])) && JSON.stringify(shellWords(s.line.slice(prefix.length))) === JSON.stringify(s.argv);
}

/** The script of every `sh -c SCRIPT` in argv (also behind env, nsenter, lxc-attach --). */
function shellScripts(argv: readonly string[]): string[] {
  return argv.flatMap((word, i) => (/^(\/bin\/|\/usr\/bin\/)?(ba)?sh$/.test(word) && argv[i + 1] === '-c' && argv[i + 2] !== undefined ? [argv[i + 2]!] : []));
}

/** Plan values worth looking for in scripts: long enough not to be common words. */
function planValues(plan: HostPlan): string[] {
  const values = [
    plan.name,
    plan.hugepages?.mount,
    plan.benchmark.fio.directory,
    plan.benchmark.peer,
    ...Object.entries(plan.extraKernelParams).flatMap(([k, v]) => [k, v ?? undefined]),
    ...plan.pfs.flatMap((pf) => [pf.name, ...pf.macs]),
    ...plan.containers.flatMap((c) => [c.name, c.address, c.gateway, c.rate, ...c.templateArgs, ...c.devices]),
  ];
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && v.length >= 5 && !/^\d+$/.test(v)))];
}

test.serial('lab: every command of every stage reaches the node as quoted words; scripts take values as parameters; generated scripts quote them', async (t) => {
  t.timeout(600_000);
  const theLab = await labForTest(t, 'centos7');
  const { info, dir } = theLab;
  // The lab's inventory with values that mean something to a shell, a path or the kernel.
  const doc = parse(readFileSync(info.inventoryPath, 'utf8')) as { defaults: Record<string, unknown>; hosts: Record<string, Record<string, unknown>> };
  const node = doc.hosts[NODE]!;
  const drivers = join(dir, 'derived', `drivers $HOME 'q' "d"`);
  mkdirSync(drivers, { recursive: true });
  const driver = node.driver as Record<string, string>;
  for (const key of ['pf', 'vf']) {
    copyFileSync(driver[key]!, join(drivers, basename(driver[key]!)));
    driver[key] = join(drivers, basename(driver[key]!));
  }
  node.kernelParams = { 'sriov_lxc.probe-x': 'a,b=c:d/e+f', sriov_lxc_flag: null };
  node.hugepages = { count: 16, size: '2M', mount: '/mnt/huge_pages-1.x' };
  node.benchmark = { ...(node.benchmark as object), profile: 'quick', fio: { directory: '/srv/bench_1.x-y' } };
  // The benchmark's directory is the operator's (the device under test is mounted there).
  await onNode(theLab, ['mkdir', '-p', '/srv/bench_1.x-y']);
  const [c1, c2] = node.containers as Record<string, unknown>[];
  Object.assign(c1!, {
    name: 'c.1-x_y',
    // The vault, which the lab's template (like the real one in 2026) needs to build anything; a
    // hostile --fqdn (an option LXC 1.0.11's lxc-centos takes: it has no --mirror) still travels as one word.
    templateArgs: ['--release', '7', '--repo', 'https://vault.centos.org/7.9.2009/os/x86_64/', '--fqdn', FQDN],
    limits: { memory: '1G', cpus: '0' },
    devices: ['/dev/zero'],
    rate: '500mbit',
    gateway: info.peerAddress,
  });
  Object.assign(c2!, { name: 'c2_b.z-9' });
  const name = 'rack-1.node_a';
  const inventory = join(dir, 'derived', 'special-values.yaml');
  writeFileSync(inventory, stringify({ defaults: doc.defaults, hosts: { [name]: node } }, { aliasDuplicateObjects: false }));
  const plan = parseInventory(readFileSync(inventory, 'utf8'), inventory, { checkLocalFiles: true }).hosts[0]!;

  const stateDir = join(dir, 'state-special');
  const newRecorder = () => new RecordingSshHost({
    name,
    endpoint: resolveEndpoint(name, plan.ssh, '/nonexistent-home', undefined),
    knownHosts: { knownHostsFiles: [plan.ssh.knownHosts!], pinFile: join(stateDir, 'known_hosts'), trustedFiles: [] },
    acceptChangedHostKey: false,
  });
  const recorder = newRecorder();
  const run = (stages: typeof PROVISION_STAGES, runId: string, host: RecordingSshHost) => runWorkflow({
    plans: [plan],
    workflow: { stages },
    stateDir,
    runId,
    selection: {},
    dryRun: false,
    concurrency: 1,
    renderer: 'silent',
    timings: DEFAULT_TIMINGS,
    rebootBudget: 2,
    signal: new AbortController().signal,
    openHost: () => host,
    command: 'no-unquoted-input test',
    warn: (m) => t.log(m),
  });
  const [result] = await run(PROVISION_STAGES, 'special-values', recorder);
  t.is(result?.status, 'ok', JSON.stringify(result?.error ?? result?.stages.filter((s) => s.status !== 'done'), null, 2));
  t.deepEqual(result?.stages.map((s) => s.id), PROVISION_STAGES.map((s) => s.id), 'every stage ran');
  t.true(recorder.sent.length > 50, `${recorder.sent.length} commands recorded`);

  // Every command line the channel carried is read back by sh as exactly the argv it came from.
  const misread = recorder.sent.filter((s) => !readsBack(s));
  t.deepEqual(misread.map((s) => s.line), [], 'command lines that sh reads differently from their argv');

  // No plan value inside a script: values go in as positional parameters.
  const values = planValues(plan);
  t.true(values.includes('a,b=c:d/e+f') && values.includes('c.1-x_y') && values.includes(FQDN));
  const scriptsWithValues = recorder.sent.flatMap((s) => shellScripts(s.argv).flatMap((script) => values.filter((v) => script.includes(v)).map((v) => `${v} in: ${script}`)));
  t.deepEqual(scriptsWithValues, [], 'sh -c scripts that embed a plan value');
  // The values did reach the node, as words.
  const words = new Set(recorder.sent.flatMap((s) => s.argv));
  for (const v of ['c.1-x_y', FQDN, '/mnt/huge_pages-1.x']) t.true(words.has(v), `${v} was passed as one word`);
  // and the template took the --fqdn whole: the container's host name (LXC 1.0's key) is that value.
  const config = await onNode(theLab, ['cat', '/var/lib/lxc/c.1-x_y/config']);
  t.true(config.split('\n').includes(`lxc.utsname = ${FQDN}`), config);

  // Generated scripts: valid sh, and every line with a plan value reads back with that value within one word.
  const written = recorder.sent.filter((s) => s.argv[0] === 'sh' && s.argv[1] === '-c' && s.argv[2]?.includes('cat > "$t"') && s.stdin !== undefined);
  const scripts = written.filter((s) => s.stdin!.startsWith('#!/bin/sh') || s.argv[4]!.endsWith('.sh'));
  t.true(scripts.some((s) => s.argv[4] === MAC_SCRIPT_PATH), `the VF MAC script was written (scripts: ${scripts.map((s) => s.argv[4]).join(', ')})`);
  for (const s of scripts) {
    const path = s.argv[4]!;
    // A /etc/grub.d script like 40_custom is sh up to `exec tail -n +3 "$0"`, GRUB script after it.
    const lines = s.stdin!.split('\n');
    const shPart = lines[1] === 'exec tail -n +3 "$0"' ? lines.slice(0, 2).join('\n') : s.stdin;
    const syntax = spawnSync('sh', ['-n'], { input: shPart, encoding: 'utf8' });
    t.is(syntax.status, 0, `${path} is valid sh: ${syntax.stderr}`);
    for (const line of lines) {
      const inLine = values.filter((v) => line.includes(v));
      if (inLine.length === 0 || line.trimStart().startsWith('#')) continue;
      t.false(/\$\(|`/.test(line), `${path}: a value next to a command substitution: ${line}`);
      // The simple command of the line (`if wait_for_vfs PF N; then` → `wait_for_vfs PF N`).
      const lineWords = shellWords(line.trim().replace(/^(if|elif|while|until)\s+/, '').replace(/;\s*(then|do)$/, ''));
      for (const v of inLine) t.true(lineWords.some((w) => w.includes(v)), `${path}: ${v} stays within one word of: ${line}`);
    }
  }
  const macScript = scripts.find((s) => s.argv[4] === MAC_SCRIPT_PATH)!.stdin!;
  const setMacs = macScript.split('\n').filter((l) => l.trimStart().startsWith('set_mac ')).map((l) => shellWords(l.trim()).slice(1));
  t.deepEqual(setMacs, plan.pfs.flatMap((pf) => pf.macs.map((mac, vf) => [pf.name, String(vf), mac])), 'set_mac PF VF MAC for every planned VF');
  t.log(`${recorder.sent.length} commands, ${scripts.length} generated scripts (${scripts.map((s) => s.argv[4]).join(', ')})`);

  // The way back, with the same values: teardown's commands too are quoted words, its scripts take no value.
  // A run closes its host at the end: teardown gets a recorder of its own.
  const teardownRecorder = newRecorder();
  const [down] = await run(TEARDOWN_STAGES, 'special-values-teardown', teardownRecorder);
  t.is(down?.status, 'ok', JSON.stringify(down?.error ?? down?.stages.filter((s) => s.status !== 'done'), null, 2));
  const back = teardownRecorder.sent;
  t.true(back.some((s) => s.argv.includes('c.1-x_y') && s.argv[0] === 'lxc-destroy'), 'the container with the special name was destroyed by name');
  t.deepEqual(back.filter((s) => !readsBack(s)).map((s) => s.line), [], 'teardown command lines that sh reads differently from their argv');
  t.deepEqual(back.flatMap((s) => shellScripts(s.argv).flatMap((script) => values.filter((v) => script.includes(v)).map((v) => `${v} in: ${script}`))), [], 'teardown sh -c scripts that embed a plan value');
});
