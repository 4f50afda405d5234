// SR-IOV on a Debian 12 lab node over SSH: Intel's driver built from the lab's tarball, VFs from
// max_vfs on the cmdline and from sriov_numvfs (with the kernel's rules), the `vf` verbs of ip.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { basename } from 'node:path';
import { rebootFromInside, ssh, sshOk, startLab } from './lab-helpers.ts';
import type { LabInfo } from '../../lab/index.ts';

let info: LabInfo;
let stop: (() => Promise<void>) | undefined;

test.before(async () => {
  ({ info, stop } = await startLab('vfs', { nodes: 1, flavour: 'debian12' }));
});
test.after.always(async () => {
  await stop?.();
});

const numvfs = '/sys/class/net/enp4s0f0/device/sriov_numvfs';

function upload(local: string): void {
  const node = info.nodes[0];
  if (!node) throw new Error('no node');
  execFileSync('scp', ['-q', '-i', info.keyPath, '-o', `UserKnownHostsFile=${info.knownHostsPath}`, '-o', 'BatchMode=yes', local, `root@${node.address}:/root/`]);
}

test.serial("lab: Intel's tarball builds with make install, and max_vfs on the cmdline makes VFs per port", async (t) => {
  upload(info.drivers.pf);
  upload(info.drivers.vf);
  const build = await sshOk(
    info,
    'node1',
    `cd /root && tar xzf ${basename(info.drivers.pf)} && tar xzf ${basename(info.drivers.vf)} && ` +
      'make -C ixgbe-5.19.6/src install >/dev/null && make -C ixgbevf-4.18.9/src install >/dev/null && ' +
      'modinfo -F version ixgbe; modinfo -F filename ixgbevf; cat /sys/module/ixgbe/version',
  );
  t.is(build, '5.19.6\n/lib/modules/6.18.44-fc-v595/updates/drivers/net/ethernet/intel/ixgbevf/ixgbevf.ko\n5.1.0-k\n'.replace('6.18.44-fc-v595', (await sshOk(info, 'node1', 'uname -r')).trim()));
  await sshOk(info, 'node1', `sed -i 's/^GRUB_CMDLINE_LINUX=.*/GRUB_CMDLINE_LINUX="ixgbe.max_vfs=3,2"/' /etc/default/grub && update-grub 2>/dev/null`);
  await rebootFromInside(info, 'node1');
  const out = await sshOk(
    info,
    'node1',
    'cat /sys/module/ixgbe/version /sys/class/net/enp4s0f0/device/sriov_numvfs /sys/class/net/enp4s0f1/device/sriov_numvfs; ' +
      'for v in /sys/class/net/enp4s0f*/device/virtfn*; do echo "${v##*/} $(readlink $v) $(ls $v/net) $(basename $(readlink $v/driver))"; done; ' +
      'lspci -Dnn | grep "Virtual Function"',
  );
  t.is(
    out,
    [
      '5.19.6',
      '3',
      '2',
      'virtfn0 ../0000:04:10.0 enp4s16 ixgbevf',
      'virtfn1 ../0000:04:10.2 enp4s16f2 ixgbevf',
      'virtfn2 ../0000:04:10.4 enp4s16f4 ixgbevf',
      'virtfn0 ../0000:04:10.1 enp4s16f1 ixgbevf',
      'virtfn1 ../0000:04:10.3 enp4s16f3 ixgbevf',
      ...['0', '1', '2', '3', '4'].map(
        (f) => `0000:04:10.${f} Ethernet controller [0200]: Intel Corporation 82599 Ethernet Controller Virtual Function [8086:10ed] (rev 01)`,
      ),
      '',
    ].join('\n'),
  );
});

test.serial('lab: sriov_numvfs writes follow the kernel: through 0 only, within sriov_totalvfs, persisted by a udev rule', async (t) => {
  const write = (n: string) => ssh(info, 'node1', 'sh', '-c', 'printf %s "$1" > "$2"', 'sh', n, numvfs);
  t.is((await write('0')).code, 0);
  t.is((await write('4')).code, 0);
  t.is((await sshOk(info, 'node1', `cat ${numvfs}; ls /sys/class/net/enp4s0f0/device/virtfn3/net`)), '4\nenp4s16f6\n');
  const busy = await write('2');
  t.is(busy.code, 1);
  t.regex(busy.stderr, /I\/O error/, 'dash reports the EBUSY of the write');
  t.regex(await sshOk(info, 'node1', 'dmesg | tail -n1'), /4 VFs already enabled\. Disable before enabling 2 VFs/);
  const tooMany = await ssh(info, 'node1', `echo 0 > ${numvfs}; /bin/echo 65 > ${numvfs}`);
  t.regex(tooMany.stderr, /Numerical result out of range/);
  t.is((await write('4')).code, 0);
  await sshOk(
    info,
    'node1',
    `echo 'ACTION=="add", SUBSYSTEM=="net", KERNELS=="0000:04:00.0", ATTR{device/sriov_numvfs}="4"' > /etc/udev/rules.d/70-sriov.rules && sed -i 's/^GRUB_CMDLINE_LINUX=.*/GRUB_CMDLINE_LINUX=""/' /etc/default/grub && update-grub 2>/dev/null`,
  );
  await rebootFromInside(info, 'node1');
  t.is(await sshOk(info, 'node1', `cat ${numvfs} /sys/class/net/enp4s0f1/device/sriov_numvfs`), '4\n0\n');
});

test.serial('lab: ip link set PF vf N mac shows in ip -j link show PF and on the VF netdev', async (t) => {
  await sshOk(info, 'node1', 'ip link set dev enp4s0f0 vf 2 mac d6:d6:d6:54:f9:f8');
  const links = JSON.parse(await sshOk(info, 'node1', 'ip -j link show enp4s0f0')) as { ifname: string; vfinfo_list: { vf: number; address: string }[] }[];
  t.is(links[0]?.ifname, 'enp4s0f0');
  t.deepEqual(links[0]?.vfinfo_list.map((v) => v.vf), [0, 1, 2, 3]);
  t.is(links[0]?.vfinfo_list[2]?.address, 'd6:d6:d6:54:f9:f8');
  const netdev = (await sshOk(info, 'node1', 'ls /sys/class/net/enp4s0f0/device/virtfn2/net')).trim();
  t.is((await sshOk(info, 'node1', `cat /sys/class/net/${netdev}/address`)).trim(), 'd6:d6:d6:54:f9:f8');
  t.regex(await sshOk(info, 'node1', 'ip link show enp4s0f0'), /\n {4}vf 2 {5}link\/ether d6:d6:d6:54:f9:f8 brd ff:ff:ff:ff:ff:ff, spoof checking on/);
  const noSuchVf = await ssh(info, 'node1', 'ip link set enp4s0f0 vf 9 mac d6:d6:d6:54:f9:f8');
  t.is(noSuchVf.code, 2);
  t.regex(noSuchVf.stderr, /RTNETLINK answers: Invalid argument/);
  const multicast = await ssh(info, 'node1', 'ip link set enp4s0f0 vf 0 mac 01:00:5e:00:00:01');
  t.is(multicast.code, 2);
});

// The ip wrapper sends output naming no lab netdev past ip-output.ts (lab/node/bin/ip): it must
// print what ip-output.ts would have, byte for byte, on either path. [mode, vfs, ip arguments];
// VF: a VF netdev of enp4s0f0.
const IP_SHOWS: [string, string, string][] = [
  ['--json', '--vfs', '-j link show lo'],
  ['--json', '--vfs', '-j link show'],
  ['--json', '--vfs', '-j -d link show'],
  ['--json', '--vfs', '-j -s link show lo'],
  ['--json', '--vfs', '-j link show VF'],
  ['--json', '--no-vfs', '-j addr show lo'],
  ['--json', '--no-vfs', '-j addr show'],
  ['--json', '--vfs', '-j -d addr show lo'],
  ['--json', '--vfs', '-j -p link show lo'],
  ['--json', '--no-vfs', '-j -p addr show lo'],
  ['--text', '--vfs', 'link show lo'],
  ['--text', '--vfs', 'link show'],
  ['--text', '--vfs', '-d link show lo'],
  ['--text', '--vfs', '-s link show lo'],
  ['--text', '--vfs', '-o link show lo'],
  ['--text', '--vfs', '-o link show'],
  ['--text', '--vfs', '-br link show lo'],
  ['--text', '--vfs', '-br link show'],
  ['--text', '--vfs', 'link show VF'],
  ['--text', '--vfs', '-o link show VF'],
  ['--text', '--no-vfs', 'addr show lo'],
  ['--text', '--no-vfs', 'addr show'],
  ['--text', '--no-vfs', '-br addr show'],
  ['--text', '--vfs', '-d addr show lo'],
  ['--text', '--vfs', 'link show dev nonexistent'],
];

test.serial('lab: ip link/addr show prints what ip-output.ts makes of the real output, also where it skips it (no lab netdev named)', async (t) => {
  const vf = (await sshOk(info, 'node1', 'ls /sys/class/net/enp4s0f0/device/virtfn0/net')).trim();
  t.regex(vf, /^enp4s16/);
  const compare = (mode: string, vfs: string, args: string): string =>
    `a=$(ip ${args} 2>&1; echo "rc=$?"); ` +
    `b=$({ o=$($REAL_IP ${args}); rc=$?; [ -n "$o" ] && printf '%s\\n' "$o" | LAB_PF_DRIVER=ixgbe /run/sriov-lab/nodejs /usr/lib/sriov-lab/ip-output.ts ${mode} ${vfs} --release 6.1; echo "rc=$rc"; } 2>&1); ` +
    `if [ "$a" = "$b" ]; then echo "same: ip ${args}"; else printf 'DIFF: ip %s\\n%s\\n---\\n%s\\n' '${args}' "$a" "$b"; fi`;
  const script = ['REAL_IP=/run/sriov-lab/host-usr/bin/ip', ...IP_SHOWS.map(([mode, vfs, args]) => compare(mode, vfs, args.replace('VF', vf)))].join('\n');
  const out = await sshOk(info, 'node1', script);
  t.is(out.split('\n').filter((l) => l.startsWith('same: ')).length, IP_SHOWS.length, out);
  // what is compared shows the lab's rewriting (a PF's VF list) and a link it leaves alone
  t.regex(out, /same: ip -j link show\n/);
  const lo = await sshOk(info, 'node1', 'ip -j link show lo; ip -j link show enp4s0f0');
  t.regex(lo, /^\[\{"ifindex":1,"ifname":"lo",.*\}\]\n\[\{.*"vfinfo_list":\[\{"vf":0,/);
});

test.serial('lab: lspci -k/-v -d print each device they show as without -d, its driver included (pciutils)', async (t) => {
  for (const opt of ['-k', '-v', '-nnvv']) {
    const filtered = await sshOk(info, 'node1', `lspci ${opt} -d 8086: -s 04:10.0`);
    t.is(filtered, await sshOk(info, 'node1', `lspci ${opt} -s 04:10.0`), opt);
    t.regex(filtered, /\tKernel driver in use: ixgbevf\n/, opt);
  }
  t.is(await sshOk(info, 'node1', 'lspci -vv -d :10fb -s 04:00.0'), await sshOk(info, 'node1', 'lspci -vv -s 04:00.0'));
});
