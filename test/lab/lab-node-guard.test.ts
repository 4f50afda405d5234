// The host is never the node: every node-side script run outside a node exits non-zero before it
// writes anything. Each runs in a private mount, UTS, IPC and network namespace that has the
// lab's scripts at /usr/lib/sriov-lab but none of a node's mounts: /etc is a private copy of this
// machine's /etc (compared file by file afterwards), /usr /var /boot /root /opt /srv /home are
// overlays whose upper directories must stay empty, /run a tmpfs. The host's files are never at
// stake, whatever the scripts do.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../lab/node', import.meta.url));
const OVERLAID = ['usr', 'var', 'boot', 'root', 'opt', 'srv', 'home'];

// Invocations that would write if the guard let them: the shims with the arguments a provisioning
// run uses, the helpers, the LXC template, and the node's init and installer.
const RUNS: [string, string][] = [
  ...readdirSync(join(SRC, 'bin')).map((f): [string, string] => [`bin/${f}`, `/usr/lib/sriov-lab/bin/${f}`]),
  ['systemctl enable', '/usr/lib/sriov-lab/bin/systemctl enable --now lxc-net'],
  ['grub2-mkconfig', 'ln -sf /usr/lib/sriov-lab/bin/grub2 /run/grub2-mkconfig && /run/grub2-mkconfig -o /boot/grub2/grub.cfg'],
  ['grubby', '/usr/lib/sriov-lab/bin/grubby --update-kernel=ALL --args=intel_iommu=on'],
  ['modprobe', 'ln -sf /usr/lib/sriov-lab/bin/kmod /run/modprobe && /run/modprobe ixgbe max_vfs=4'],
  ['reboot', 'ln -sf /usr/lib/sriov-lab/bin/power /run/reboot && /run/reboot'],
  ...readdirSync(join(SRC, 'sbin')).map((f): [string, string] => [`sbin/${f}`, `/usr/lib/sriov-lab/sbin/${f}`]),
  ...readdirSync(join(SRC, 'grub.d')).map((f): [string, string] => [`grub.d/${f}`, `GRUB_GRUBENV_UPDATE=yes /usr/lib/sriov-lab/grub.d/${f}`]),
  ['sriov-numvfs-store', '/usr/lib/sriov-lab/sbin/sriov-numvfs-store --write /run/numvfs 4'],
  ['lxc template', 'ln -sf /usr/lib/sriov-lab/lxc/lxc-sriov-lab /run/lxc-debian && /run/lxc-debian --name c1 --path /var/lib/lxc/c1'],
  ['init.sh', 'timeout 20 sh /usr/lib/sriov-lab/init.sh'],
  ['install.sh', 'timeout 20 sh /usr/lib/sriov-lab/install.sh'],
  ...installFragments(),
];

// install.sh's flavour branches and sections, each run alone as someone may copy one out (the way
// the host's /etc/default/grub, /etc/fstab and GRUB's scripts were overwritten twice): without the
// script's prologue, so without its set -eu and its functions.
function installFragments(): [string, string][] {
  const lines = readFileSync(join(SRC, 'install.sh'), 'utf8').split('\n');
  const ranges: [string, number, number][] = [];
  const flavours = lines.indexOf('case "$LAB_FLAVOUR" in');
  for (let i = flavours + 1; i < lines.length && !lines[i]!.startsWith('esac'); i++) {
    const branch = /^ {2}([a-z0-9]+)\)$/.exec(lines[i]!)?.[1];
    if (branch !== undefined) ranges.push([`install.sh branch ${branch}`, i + 2, lines.indexOf('    ;;', i) ]);
  }
  const headers = lines.flatMap((l, i) => (l.startsWith('# --- ') ? [i] : []));
  headers.forEach((h, k) => ranges.push([`install.sh section ${lines[h]!.slice(6).split(':')[0]!.replace(/ -+$/, '')}`, h + 1, headers[k + 1] ?? lines.length]));
  return ranges.map(([name, from, to]) => [name, `sed -n '${from},${to}p' /usr/lib/sriov-lab/install.sh > /run/fragment && sh /run/fragment`]);
}

/** Sizes, modes, mtimes and link targets of every entry under a directory. */
function manifest(dir: string): string {
  return spawnSync('find', [dir, '-printf', '%P %y %s %m %T@ %l\n'], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout;
}

// In place of the guard: prints the shell's options where a script reaches it, and stops.
const FLAGS_PROBE = 'echo "${0##*/} reached the guard with flags $-" >&2\nexit 1\n';

function outsideANode(root: string, marker: boolean, probeFlags = false): { etcBefore: string; results: Map<string, { code: number; stderr: string }> } {
  const etc = join(root, 'etc');
  const r = spawnSync('cp', ['-a', '/etc', etc]);
  if (r.status !== 0) throw new Error(`copying /etc failed: ${r.stderr}`);
  if (marker) spawnSync('sh', ['-c', `echo node1 > ${join(etc, 'sriov-lab-node')}`]);
  const etcBefore = manifest(etc);
  for (const d of OVERLAID) for (const sub of ['upper', 'work']) mkdirSync(join(root, sub, d), { recursive: true });
  const nodeDir = join(root, 'node');
  mkdirSync(nodeDir);
  if (probeFlags) writeFileSync(join(root, 'probe.sh'), FLAGS_PROBE);
  const setup = [
    'set -e',
    'mount --make-rprivate /',
    `mount --bind ${etc} /etc`,
    'mount -t tmpfs guard-run /run',
    ...OVERLAID.map((d) => `mount -t overlay guard-${d} -o lowerdir=/${d},upperdir=${root}/upper/${d},workdir=${root}/work/${d} /${d}`),
    'mkdir -p /usr/lib/sriov-lab',
    `mount --bind ${SRC} /usr/lib/sriov-lab`,
    ...(probeFlags ? [`mount --bind ${root}/probe.sh /usr/lib/sriov-lab/lib/node-guard.sh`] : []),
    'set +e',
  ];
  // stderr kept in the test's own directory (init and install mount a tmpfs over /run).
  const runs = RUNS.map(([name, command], i) => `( ${command} ) > /dev/null 2> ${root}/err-${i}; echo "${name}\t$?\t$(head -c 400 ${root}/err-${i} | tr '\\n\\t' '  ')"`);
  // The node's environment as the lab gives it (lab/install.ts), its directory an empty one.
  const env = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    LAB_SHIM_OFF: '1',
    LAB_NODE: 'node1',
    LAB_NODE_INDEX: '1',
    LAB_FLAVOUR: 'debian12',
    LAB_FIRMWARE: 'bios',
    LAB_NIC: '82599',
    LAB_NODE_DIR: nodeDir,
    LAB_SRC: '/usr/lib/sriov-lab',
    LAB_SHIM_DIR: nodeDir,
    LAB_ADDRESS: '10.213.250.11/24',
    LAB_HOST_KEY: '/dev/null',
    LAB_AUTHORIZED_KEYS: '/dev/null',
  };
  const out = spawnSync('unshare', ['--mount', '--uts', '--ipc', '--net', '--fork', '--', 'sh', '-c', [...setup, ...runs].join('\n')], { encoding: 'utf8', env, timeout: 300_000 });
  if (out.status !== 0 || out.stdout === '') throw new Error(`the private namespace failed (${out.status}): ${out.stderr}`);
  const results = new Map(
    out.stdout
      .trim()
      .split('\n')
      .map((line) => {
        const [name = '', code = '', stderr = ''] = line.split('\t');
        return [name, { code: Number(code), stderr }];
      }),
  );
  return { etcBefore, results };
}

for (const marker of [false, true]) {
  test(`lab: node-side scripts run outside a node exit non-zero before writing (private /etc ${marker ? 'with a planted marker' : 'without the marker'})`, (t) => {
    const root = mkdtempSync(join(tmpdir(), 'sriov-lxc-guard-'));
    t.teardown(() => rmSync(root, { recursive: true, force: true }));
    const { etcBefore, results } = outsideANode(root, marker);
    t.is(results.size, RUNS.length);
    for (const [name, { code, stderr }] of results) {
      t.not(code, 0, `${name} exited 0: ${stderr}`);
      if (name.startsWith('install.sh ')) t.regex(stderr, /require_node: not found/, name);
      else if (name !== 'init.sh' && name !== 'install.sh') t.regex(stderr, /not inside a lab node .*refusing to write/, name);
    }
    t.regex(results.get('init.sh')?.stderr ?? '', /mount/, 'init says why it stops');
    t.regex(results.get('install.sh')?.stderr ?? '', /mount/, 'install says why it stops');
    for (const d of OVERLAID) {
      const written = spawnSync('find', [join(root, 'upper', d), '-mindepth', '1'], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
      t.deepEqual(written.filter((p) => !p.endsWith('/usr/lib') && !p.endsWith('/usr/lib/sriov-lab')), [], `nothing written under /${d}`);
    }
    t.is(manifest(join(root, 'etc')), etcBefore);
  });
}

// The shims, the template, init and install run with -e and -u in effect by the time they reach the
// guard (GRUB's script with -e, as GRUB's own): the options the shell really has, not the text.
test('lab: every node-side script reaches the node guard with set -eu in effect', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'sriov-lxc-guard-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const { results } = outsideANode(root, false, true);
  t.is(results.size, RUNS.length);
  for (const [name, { code, stderr }] of results) {
    t.not(code, 0, name);
    // A fragment of install.sh run alone has no prologue: it stops at its first line (the test above).
    if (name.startsWith('install.sh ')) continue;
    const flags = /reached the guard with flags (\S*)/.exec(stderr)?.[1];
    t.not(flags, undefined, `${name} reached the guard: ${stderr}`);
    t.regex(flags ?? '', /e/, `${name} runs with -e`);
    if (!name.startsWith('grub.d/')) t.regex(flags ?? '', /u/, `${name} runs with -u`);
  }
});
