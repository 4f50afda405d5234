// The one list of Debian packages the lab and the test suite need, with the tools (found on PATH)
// or files each one provides: the lab's tool check (lab/setup.ts), `.ci/run` (through
// `lab.ts packages` / `lab.ts setup`) and the README all read it from here. Pure: no I/O.
// Package names are Debian 12's (also Ubuntu's); ENVIRONMENT.md lists what the lab runs.

/** Where Debian's ansible package puts ansible.posix's json callback. */
export const ANSIBLE_JSON_CALLBACK = '/usr/lib/python3/dist-packages/ansible_collections/ansible/posix/plugins/callback/json.py';

export interface LabPackage {
  /** The Debian package. */
  name: string;
  /** Commands it provides, looked up on PATH. */
  tools: readonly string[];
  /** Files it provides that are not commands (absolute paths). */
  files?: readonly string[];
  /** Who needs it: the lab itself (demo, lab tests, bench), or only the test suite. */
  for: 'lab' | 'tests';
  why: string;
}

export const LAB_PACKAGES: readonly LabPackage[] = [
  { name: 'openssh-server', tools: ['sshd'], for: 'lab', why: "each node's real sshd" },
  { name: 'openssh-client', tools: ['ssh', 'ssh-keygen'], for: 'lab', why: 'the lab key and `lab.ts ssh`' },
  { name: 'lxc', tools: ['lxc-create', 'lxc-start', 'lxc-stop', 'lxc-attach', 'lxc-destroy', 'lxc-info', 'lxc-ls'], for: 'lab', why: 'the real LXC containers owning the VFs' },
  // lxc only recommends it (and the lab installs without recommends): the distributions' common
  // configs the containers' templates include.
  {
    name: 'lxc-templates',
    tools: [],
    files: ['/usr/share/lxc/config/debian.common.conf', '/usr/share/lxc/config/centos.common.conf'],
    for: 'lab',
    why: "the distributions' LXC configs the nodes' containers include (debian.common.conf, centos.common.conf)",
  },
  { name: 'busybox-static', tools: ['busybox'], for: 'lab', why: "the containers' root file system" },
  { name: 'iperf3', tools: ['iperf3'], for: 'lab', why: "the peer's iperf3 server and the benchmark" },
  { name: 'fio', tools: ['fio'], for: 'lab', why: 'the benchmark' },
  { name: 'iproute2', tools: ['ip', 'tc'], for: 'lab', why: 'namespaces, veth, macvlan "VFs", tc htb' },
  { name: 'grub2-common', tools: ['grub-mkconfig', 'grub-editenv', 'update-grub', 'grub-reboot'], for: 'lab', why: "GRUB's real scripts on every node" },
  { name: 'grub-pc-bin', tools: [], files: ['/usr/lib/grub/i386-pc'], for: 'lab', why: 'the platform files grub-mkconfig reads' },
  { name: 'make', tools: ['make'], for: 'lab', why: 'driver builds on the nodes' },
  { name: 'gcc', tools: ['gcc', 'cc'], for: 'lab', why: "the lab's preload libraries" },
  { name: 'libc6-dev', tools: [], files: ['/usr/include/stdio.h'], for: 'lab', why: 'headers for those libraries' },
  { name: 'procps', tools: ['sysctl', 'pkill'], for: 'lab', why: 'sysctl and process tools on the nodes' },
  { name: 'util-linux', tools: ['unshare', 'nsenter', 'findmnt'], for: 'lab', why: 'the namespaces of a node' },
  { name: 'patch', tools: ['patch'], for: 'tests', why: 'a test applies the diffs of --dry-run' },
  { name: 'chromium', tools: ['chromium'], for: 'tests', why: 'a test renders the HTML report' },
  { name: 'ansible-core', tools: ['ansible-playbook', 'ansible-galaxy', 'ansible-doc', 'ansible-test'], for: 'tests', why: 'the tests of the Ansible collection (ansible/)' },
  { name: 'ansible-lint', tools: ['ansible-lint'], for: 'tests', why: 'a test lints the Ansible collection' },
  // Debian 12's ansible-core has no json stdout callback ("Invalid callback for stdout specified:
  // json" on a fresh machine): it is ansible.posix's, which Debian ships in the ansible package.
  {
    name: 'ansible',
    tools: [],
    files: [ANSIBLE_JSON_CALLBACK],
    for: 'tests',
    why: "the json stdout callback (ansible.posix's) whose output the Ansible tests and `npm run bench` parse",
  },
];

export type PackageScope = 'lab' | 'tests';

/** The packages of a scope: the lab's alone, or the lab's and the test suite's. */
export function packagesFor(scope: PackageScope): LabPackage[] {
  return LAB_PACKAGES.filter((p) => scope === 'tests' || p.for === 'lab');
}

export interface Missing {
  package: LabPackage;
  /** The tools and files of that package not found. */
  absent: string[];
}

/** The packages with a tool or file not found, given how to look one up. */
export function missingPackages(packages: readonly LabPackage[], has: { tool(name: string): boolean; file(path: string): boolean }): Missing[] {
  return packages.flatMap((p) => {
    const absent = [...p.tools.filter((t) => !has.tool(t)), ...(p.files ?? []).filter((f) => !has.file(f))];
    return absent.length > 0 ? [{ package: p, absent }] : [];
  });
}

export const APT_INSTALL = ['apt-get', 'install', '-y', '--no-install-recommends'] as const;

/** The command a person runs to install them (as root: no sudo; otherwise with sudo). */
export function installCommand(missing: readonly Missing[], root: boolean): string {
  const names = missing.map((m) => m.package.name);
  const sudo = root ? '' : 'sudo ';
  return `${sudo}apt-get update && ${sudo}${APT_INSTALL.join(' ')} ${names.join(' ')}`;
}

/** The message when they cannot be installed here: what is missing, why, and what to run. */
export function missingMessage(missing: readonly Missing[], o: { root: boolean; apt: boolean; what: string }): string {
  const lines = [`${o.what} needs tools that are not installed (looked up on PATH):`];
  for (const m of missing) lines.push(`  ${m.absent.join(', ')}  (Debian package ${m.package.name}: ${m.package.why})`);
  if (o.apt) {
    lines.push(`Install them with:\n  ${installCommand(missing, o.root)}`);
    if (!o.root) lines.push('(the lab also runs as root; as root it installs them itself)');
  } else {
    lines.push(`This machine has no apt-get: install the equivalents of these Debian packages: ${missing.map((m) => m.package.name).join(' ')}`);
    lines.push(`On Debian or Ubuntu, as root: ${installCommand(missing, true)}`);
  }
  return lines.join('\n');
}
