// Every fault of a lab node does what lab/README.md says, seen from the node over SSH (as the tool
// sees it), and is gone when switched off.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { labFault, labReboot, nodePower, waitForNode, type LabInfo } from '../../lab/index.ts';
import { rebootFromInside, ssh, sshOk, startLab } from './lab-helpers.ts';

let info: LabInfo;
let stop: (() => Promise<void>) | undefined;

test.before(async () => {
  ({ info, stop } = await startLab('faults', { nodes: 1, flavour: 'centos7' }));
});
test.after.always(async () => {
  await stop?.();
});

const numvfs = '/sys/class/net/enp4s0f0/device/sriov_numvfs';
const off = (fault: string) => () => labFault(info.dir, 'node1', fault, false);

test.serial('lab: fault vt-disabled takes vmx out of /proc/cpuinfo', async (t) => {
  t.teardown(off('vt-disabled'));
  await labFault(info.dir, 'node1', 'vt-disabled', true);
  t.is((await ssh(info, 'node1', 'grep -c -w vmx /proc/cpuinfo')).stdout.trim(), '0');
  await labFault(info.dir, 'node1', 'vt-disabled', false);
  t.not((await sshOk(info, 'node1', 'grep -c -w vmx /proc/cpuinfo')).trim(), '0');
});

test.serial('lab: fault sriov-disabled leaves the PFs without SR-IOV', async (t) => {
  t.teardown(off('sriov-disabled'));
  await labFault(info.dir, 'node1', 'sriov-disabled', true);
  const r = await ssh(info, 'node1', `cat /sys/class/net/enp4s0f0/device/sriov_totalvfs; lspci -vv -s 04:00.0 | grep -c SR-IOV; /bin/echo 2 > ${numvfs}`);
  t.is(r.stdout, '0\n0\n');
  t.regex(r.stderr, /Numerical result out of range/);
  await labFault(info.dir, 'node1', 'sriov-disabled', false);
  t.is(await sshOk(info, 'node1', 'cat /sys/class/net/enp4s0f0/device/sriov_totalvfs; lspci -vv -s 04:00.0 | grep -c SR-IOV'), '63\n1\n');
});

test.serial('lab: fault short-vfs grants fewer VFs than asked', async (t) => {
  t.teardown(off('short-vfs'));
  await labFault(info.dir, 'node1', 'short-vfs', true, 2);
  t.is(await sshOk(info, 'node1', `echo 0 > ${numvfs}; echo 4 > ${numvfs}; cat ${numvfs}; ls -d /sys/class/net/enp4s0f0/device/virtfn* | wc -l`), '2\n2\n');
  await sshOk(info, 'node1', `echo 0 > ${numvfs}`);
});

test.serial('lab: fault driver-build-fails makes make install fail like a compiler error', async (t) => {
  t.teardown(off('driver-build-fails'));
  await labFault(info.dir, 'node1', 'driver-build-fails', true);
  const pf = info.drivers.pf;
  const node = info.nodes[0];
  if (!node) throw new Error('no node');
  execFileSync('scp', ['-q', '-i', info.keyPath, '-o', `UserKnownHostsFile=${info.knownHostsPath}`, pf, `root@${node.address}:/tmp/`]);
  const r = await ssh(info, 'node1', 'cd /tmp && tar xzf ixgbe-5.19.6.tar.gz && make -C ixgbe-5.19.6/src install; echo "rc=$?"; modinfo -F version ixgbe');
  t.regex(r.stderr, /fatal error: linux\/pci-aspm\.h: No such file or directory/);
  t.regex(r.stdout, /rc=2\n5\.1\.0-k\n$/);
});

test.serial('lab: fault grub-ignored keeps the cmdline whatever GRUB says', async (t) => {
  t.teardown(off('grub-ignored'));
  const before = await sshOk(info, 'node1', 'cat /proc/cmdline');
  await labFault(info.dir, 'node1', 'grub-ignored', true);
  await sshOk(info, 'node1', `sed -i 's/^GRUB_CMDLINE_LINUX="\\(.*\\)"/GRUB_CMDLINE_LINUX="\\1 lab.ignored=1"/' /etc/default/grub && grub2-mkconfig -o /boot/grub2/grub.cfg 2>/dev/null`);
  await rebootFromInside(info, 'node1');
  t.is(await sshOk(info, 'node1', 'cat /proc/cmdline'), before);
  await labFault(info.dir, 'node1', 'grub-ignored', false);
  await rebootFromInside(info, 'node1');
  t.regex(await sshOk(info, 'node1', 'cat /proc/cmdline'), /lab\.ignored=1/);
});

test.serial('lab: fault bad-cmdline panics a boot with new params; the firmware falls back', async (t) => {
  t.teardown(off('bad-cmdline'));
  const good = await sshOk(info, 'node1', 'cat /proc/cmdline');
  await labFault(info.dir, 'node1', 'bad-cmdline', true);
  const boots = nodePower(info.dir, 'node1')?.boots ?? 0;
  await sshOk(info, 'node1', `sed -i 's/^GRUB_CMDLINE_LINUX="\\(.*\\)"/GRUB_CMDLINE_LINUX="\\1 lab.bad=1 panic=1"/' /etc/default/grub && grub2-mkconfig -o /boot/grub2/grub.cfg 2>/dev/null`);
  await rebootFromInside(info, 'node1');
  t.is(await sshOk(info, 'node1', 'cat /proc/cmdline'), good);
  const power = nodePower(info.dir, 'node1');
  t.true(power?.history.some((h) => /kernel panic with .*lab\.bad=1.*reboot in 1 s/.test(h.event)));
  t.is(power?.boots, boots + 1, 'the panicked attempt never came up');
});

test.serial('lab: fault ssh-drops resets the next N connections, again after each boot', async (t) => {
  t.teardown(off('ssh-drops'));
  await labFault(info.dir, 'node1', 'ssh-drops', true, 2);
  const first = await ssh(info, 'node1', 'true');
  const second = await ssh(info, 'node1', 'true');
  t.is(first.code, 255);
  // Reset during the banner exchange, ssh says so at ERROR ("reset by peer", "Connection closed");
  // reset after it (a loaded machine), only at INFO ("closed by remote host"), which LogLevel=ERROR
  // hides. Either way not a refusal of the key or of the host.
  t.notRegex(first.stderr, /Permission denied|Host key verification failed|REMOTE HOST IDENTIFICATION/);
  t.is(second.code, 255);
  t.is((await ssh(info, 'node1', 'true')).code, 0);
  const bootId = nodePower(info.dir, 'node1')?.bootId;
  await labReboot(info.dir, 'node1', { wait: true });
  t.not(nodePower(info.dir, 'node1')?.bootId, bootId);
  t.is((await ssh(info, 'node1', 'true')).code, 255);
  await labFault(info.dir, 'node1', 'ssh-drops', false);
  t.is((await ssh(info, 'node1', 'true')).code, 0);
});

test.serial('lab: fault reboot-hangs keeps the node down until it is cleared', async (t) => {
  t.teardown(off('reboot-hangs'));
  await labFault(info.dir, 'node1', 'reboot-hangs', true);
  const bootId = nodePower(info.dir, 'node1')?.bootId;
  await sshOk(info, 'node1', "nohup sh -c 'sleep 1; reboot' >/dev/null 2>&1 &");
  for (let i = 0; i < 100 && nodePower(info.dir, 'node1')?.phase !== 'hung'; i++) await new Promise((r) => setTimeout(r, 100));
  t.is(nodePower(info.dir, 'node1')?.phase, 'hung');
  t.not((await ssh(info, 'node1', 'true')).code, 0);
  await labFault(info.dir, 'node1', 'reboot-hangs', false);
  const power = await waitForNode(info.dir, 'node1', bootId ? { notBootId: bootId } : {});
  t.is(power.phase, 'up');
});

test.serial('lab: fault slow-boot delays every boot by its argument', async (t) => {
  t.teardown(off('slow-boot'));
  await labFault(info.dir, 'node1', 'slow-boot', true, 1);
  await rebootFromInside(info, 'node1');
  t.true(nodePower(info.dir, 'node1')?.history.some((h) => h.event === 'slow boot: 1 s'));
});

test.serial('lab: fault random-vf-macs gives VFs new random MACs at each driver load', async (t) => {
  t.teardown(off('random-vf-macs'));
  const macs = (): Promise<string> =>
    sshOk(info, 'node1', `echo 0 > ${numvfs}; echo 2 > ${numvfs}; cat /sys/class/net/enp4s0f0/device/virtfn*/net/*/address`);
  const stable = await macs();
  t.is(await macs(), stable, 'without the fault a VF keeps its MAC across driver loads');
  await labFault(info.dir, 'node1', 'random-vf-macs', true);
  const one = await macs();
  const two = await sshOk(info, 'node1', 'modprobe -r ixgbevf && modprobe ixgbevf && cat /sys/class/net/enp4s0f0/device/virtfn*/net/*/address');
  t.not(one, stable);
  t.not(two, one);
  for (const mac of [...one.trim().split('\n'), ...two.trim().split('\n')]) {
    const first = parseInt(mac.slice(0, 2), 16);
    t.is(first & 0x03, 0x02, `${mac} is a locally administered unicast MAC`);
  }
  await sshOk(info, 'node1', `echo 0 > ${numvfs}`);
});

test.serial('lab: fault no-lspci takes pciutils away at once; off brings lspci back', async (t) => {
  t.teardown(off('no-lspci'));
  await labFault(info.dir, 'node1', 'no-lspci', true);
  const r = await ssh(info, 'node1', 'lspci -Dnn');
  t.is(r.code, 127);
  t.regex(r.stderr, /lspci: (command )?not found/);
  await labFault(info.dir, 'node1', 'no-lspci', false);
  t.regex(await sshOk(info, 'node1', 'lspci -Dnn -s 04:00.0'), /^0000:04:00\.0 Ethernet controller \[0200\]/);
});

test.serial("lab: fault kdump-dropin is refused on a node without Debian's grub.d (centos7), writing nothing", async (t) => {
  t.teardown(off('kdump-dropin'));
  await t.throwsAsync(labFault(info.dir, 'node1', 'kdump-dropin', true), { message: /kdump-tools' grub drop-in is Debian's and Ubuntu's; the centos7 node has no \/etc\/default\/grub\.d/ });
  t.is((await ssh(info, 'node1', 'test -e /etc/default/grub.d/kdump-tools.cfg')).code, 1);
});
