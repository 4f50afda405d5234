// A CentOS 7 lab node over SSH: what it shows, and what survives and changes across reboots
// (boot_id, cmdline from GRUB's default and one-shot entries, boot units, modules-load.d, fstab),
// and the inventory the lab writes for it.
import test from 'ava';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { connect } from 'node:net';
import { rebootFromInside, ssh, sshOk, startLab } from './lab-helpers.ts';
import { setTimeout as delay } from 'node:timers/promises';
import { nodePower, nodeSshdReadyAt, waitForNode, type LabInfo } from '../../lab/index.ts';
import { loadInventory } from '../../inventory/load.ts';

let info: LabInfo;
let stop: (() => Promise<void>) | undefined;

test.before(async () => {
  ({ info, stop } = await startLab('boot', { nodes: 1, flavour: 'centos7' }));
});
test.after.always(async () => {
  await stop?.();
});

test.serial('lab: a centos7 node looks like the paper host over SSH', async (t) => {
  const out = await sshOk(
    info,
    'node1',
    'hostname; . /etc/os-release; echo "$ID $VERSION_ID"; grep -c -w vmx /proc/cpuinfo; test -e /lib/modules/$(uname -r)/build/Makefile && echo headers; ' +
      'cat /sys/class/net/enp4s0f0/device/sriov_totalvfs; readlink /sys/class/net/enp4s0f0/device/driver; modinfo -F version ixgbe; ' +
      'lspci -Dnn | grep 0000:04:00; lspci | grep -c 10-Gigabit; grep -c setpcap /usr/share/lxc/config/centos.common.conf; test -x /usr/sbin/grub2-mkconfig && echo grub2',
  );
  const lines = out.trim().split('\n');
  t.is(lines[0], 'node1');
  t.is(lines[1], 'centos 7');
  t.true(Number(lines[2]) > 0);
  t.is(lines[3], 'headers');
  t.is(lines[4], '63', 'ixgbe lowers the 82599\'s TotalVFs 64 to 63');
  t.regex(lines[5] ?? '', /\/ixgbe$/);
  t.is(lines[6], '5.1.0-k');
  t.is(lines[7], '0000:04:00.0 Ethernet controller [0200]: Intel Corporation 82599ES 10-Gigabit SFI/SFP+ Network Connection [8086:10fb] (rev 01)');
  t.is(lines[8], '0000:04:00.1 Ethernet controller [0200]: Intel Corporation 82599ES 10-Gigabit SFI/SFP+ Network Connection [8086:10fb] (rev 01)');
  t.is(lines[9], '2');
  t.is(lines[10], '1');
  t.is(lines[11], 'grub2');
});

// The node's /var is its own (lab/install.ts NODE_VAR under an overlay): what this machine has in
// /var does not show in it, what the node writes there does not reach this machine.
test.serial("lab: a node has a /var of its own: none of this machine's /var shows in it, nothing it writes there leaks out", async (t) => {
  const hostDir = mkdtempSync('/var/tmp/sriov-lxc-var-probe-');
  t.teardown(() => rmSync(hostDir, { recursive: true, force: true }));
  writeFileSync(join(hostDir, 'host-file'), 'the host\'s\n');
  const name = basename(hostDir);
  const seen = await sshOk(
    info,
    'node1',
    `test -e /var/tmp/${name} && echo host-dir-visible; ls -A /var/tmp | grep -c sriov-lxc-var-probe-; ` +
      'test -e /var/lib/dpkg && echo host-dpkg-visible; test -e /var/lib/apt && echo host-apt-visible; ' +
      'stat -c "%a %U" /var/tmp; readlink /var/run /var/lock; test -d /var/lib/lxc && test -d /var/lib/misc && echo lxc-dirs; ' +
      `mkdir -p /var/tmp/${name}-node /var/lib/sriov-lxc-var-probe && echo node > /var/tmp/${name}-node/f && echo written`,
  );
  t.is(seen, '0\n1777 root\n/run\n/run/lock\nlxc-dirs\nwritten\n');
  t.true(existsSync('/var/lib/dpkg'), 'this machine has what the node must not see');
  t.false(existsSync(`/var/tmp/${name}-node`), "the node's write stays in the node");
  t.false(existsSync('/var/lib/sriov-lxc-var-probe'), "the node's write stays in the node");
  await sshOk(info, 'node1', `rm -rf /var/tmp/${name}-node /var/lib/sriov-lxc-var-probe`);
});

test.serial('lab: boot_id and cmdline across reboots: the default entry', async (t) => {
  const bootId = (await sshOk(info, 'node1', 'cat /proc/sys/kernel/random/boot_id')).trim();
  await sshOk(
    info,
    'node1',
    `sed -i 's/^GRUB_CMDLINE_LINUX="\\(.*\\)"/GRUB_CMDLINE_LINUX="\\1 intel_iommu=on iommu=pt"/' /etc/default/grub && grub2-mkconfig -o /boot/grub2/grub.cfg 2>/dev/null`,
  );
  t.notRegex(await sshOk(info, 'node1', 'cat /proc/cmdline'), /intel_iommu/, 'the cmdline changes only at boot');
  const after = await rebootFromInside(info, 'node1', 'reboot');
  t.not(after, bootId);
  const cmdline = await sshOk(info, 'node1', 'cat /proc/cmdline');
  t.regex(cmdline, /^BOOT_IMAGE=\/vmlinuz-\S+ root=\/dev\/vda1 ro crashkernel=auto .* intel_iommu=on iommu=pt\n$/);
  t.is((await sshOk(info, 'node1', 'ls /sys/class/iommu')).trim(), 'dmar0');
  const again = await rebootFromInside(info, 'node1', 'shutdown -r now');
  t.not(again, after);
  t.is(await sshOk(info, 'node1', 'cat /proc/cmdline'), cmdline, 'the default entry boots again');
});

/** Whether a TCP connection to address:port is accepted within `ms` (refused, unreachable or slower: false). */
function accepts(address: string, port: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), ms);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

// The reboot benchmarks measure detection from the lab's sshd-ready record (bench/pipeline.ts): a
// record later than sshd's first possible connection flatters them. shim/sshd-ready.c takes it at
// listen(); the shell loop before it polled /proc/net/tcp every 10 ms and wrote it after.
test.serial("lab: a boot's sshd-ready record is no later than the first connection its sshd accepts", async (t) => {
  const node = info.nodes.find((n) => n.name === 'node1')!;
  const before = (await sshOk(info, 'node1', 'cat /proc/sys/kernel/random/boot_id')).trim();
  await sshOk(info, 'node1', `nohup sh -c 'sleep 1; reboot' >/dev/null 2>&1 &`);
  const deadline = Date.now() + 30_000;
  // The new boot has begun (the lab wrote its boot id) before its sshd can listen.
  while (nodePower(info.dir, 'node1')?.bootId === before && Date.now() < deadline) await delay(5);
  // The first connection accepted, and when it was known to be: its SYN came no later.
  let firstAccepted: number | undefined;
  while (firstAccepted === undefined && Date.now() < deadline) {
    if (await accepts(node.address, node.port, 50)) firstAccepted = Date.now();
  }
  t.truthy(firstAccepted, 'the node came back');
  await waitForNode(info.dir, 'node1', { notBootId: before, timeoutMs: 30_000 });
  const ready = nodeSshdReadyAt(info.dir, 'node1');
  t.truthy(ready);
  // sshd listened before the SYN of the first connection accepted came, and that was before
  // firstAccepted (ms). Not the time the attempt began: its SYN may leave a few ms later on a busy
  // machine, after listen() (CI: begun 4 ms before the record, accepted). An attempt refused takes
  // about a millisecond, so a record written late (the shell loop's 10 ms) lands after it.
  t.true(ready! <= firstAccepted!, `sshd-ready ${ready} vs the first connection accepted at ${firstAccepted} (${ready! - firstAccepted!} ms)`);
  t.true(firstAccepted! - ready! < 1000, `sshd-ready ${ready} is a time of this boot (${firstAccepted! - ready!} ms before the first connection)`);
});

test.serial('lab: a one-shot grub2-reboot entry is booted once, then the default again', async (t) => {
  const custom = [
    'cat > /etc/grub.d/40_custom <<"EOF"',
    '#!/bin/sh',
    'exec tail -n +3 $0',
    "menuentry 'Lab trial' --id lab-trial {",
    '  linux /vmlinuz-lab root=/dev/vda1 ro lab.trial=1 panic=10',
    '}',
    'EOF',
    'grub2-mkconfig -o /boot/grub2/grub.cfg 2>/dev/null',
    'grub2-set-default 0',
    'grub2-reboot lab-trial',
    'grub2-editenv /boot/grub2/grubenv list',
  ].join('\n');
  t.regex(await sshOk(info, 'node1', custom), /next_entry=lab-trial/);
  await rebootFromInside(info, 'node1', 'systemctl reboot');
  t.is(await sshOk(info, 'node1', 'cat /proc/cmdline'), 'BOOT_IMAGE=/vmlinuz-lab root=/dev/vda1 ro lab.trial=1 panic=10\n');
  t.regex(await sshOk(info, 'node1', 'grub2-editenv /boot/grub2/grubenv list'), /^next_entry=$/m);
  await rebootFromInside(info, 'node1');
  t.notRegex(await sshOk(info, 'node1', 'cat /proc/cmdline'), /lab\.trial/);
});

test.serial('lab: a boot loads modules-load.d, mounts fstab hugetlbfs, applies sysctl.d and runs enabled oneshot units', async (t) => {
  const setup = [
    'printf "ixgbe\\nixgbevf\\n" > /etc/modules-load.d/sriov.conf',
    'echo "options ixgbe max_vfs=2,1" > /etc/modprobe.d/ixgbe.conf',
    'echo "vm.nr_hugepages = 16" > /etc/sysctl.d/80-hugepages.conf',
    'echo "hugetlbfs /mnt/huge hugetlbfs pagesize=2M 0 0" >> /etc/fstab',
    'cat > /etc/systemd/system/lab-early.service <<"EOF"',
    '[Unit]',
    'Before=sshd.service',
    '[Service]',
    'Type=oneshot',
    'ExecStart=/bin/sh -c "cat /sys/class/net/enp4s0f0/device/sriov_numvfs > /root/early"',
    '[Install]',
    'WantedBy=multi-user.target',
    'EOF',
    // As sriov-lxc's own vf-macs unit: ordered before network.target, which every flavour's ssh
    // unit is After=, so systemd runs it before sshd.
    'cat > /etc/systemd/system/lab-netpre.service <<"EOF"',
    '[Unit]',
    'Before=network.target',
    '[Service]',
    'Type=oneshot',
    'ExecStart=/bin/sh -c "date +%s%3N > /root/netpre"',
    '[Install]',
    'WantedBy=multi-user.target',
    'EOF',
    'cat > /etc/systemd/system/lab-late.service <<"EOF"',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    'ExecStart=/bin/sh -c "date +%s > /root/late"',
    '[Install]',
    'WantedBy=multi-user.target',
    'EOF',
    'systemctl daemon-reload',
    'systemctl enable lab-early lab-netpre lab-late 2>&1',
    'systemctl is-enabled lab-early',
  ].join('\n');
  const enabled = await sshOk(info, 'node1', setup);
  t.regex(enabled, /Created symlink from \/etc\/systemd\/system\/multi-user\.target\.wants\/lab-early\.service to \/etc\/systemd\/system\/lab-early\.service\./);
  t.regex(enabled, /^enabled$/m);
  await rebootFromInside(info, 'node1');
  t.is((await sshOk(info, 'node1', 'cat /root/early')).trim(), '2', 'a Before=sshd unit ran after the drivers, before sshd');
  const sshdReady = nodeSshdReadyAt(info.dir, 'node1');
  const netpre = Number((await sshOk(info, 'node1', 'cat /root/netpre')).trim());
  t.true(sshdReady !== undefined && netpre < sshdReady, `a Before=network.target unit ran before sshd listened (${netpre} vs ${sshdReady})`);
  const late = await sshOk(info, 'node1', 'for i in $(seq 50); do [ -e /root/late ] && break; sleep 0.1; done; cat /root/late; systemctl is-active lab-late');
  t.regex(late, /^\d+\nactive\n$/);
  const state = await sshOk(info, 'node1', 'lsmod | cut -d" " -f1; cat /sys/class/net/enp4s0f1/device/sriov_numvfs; cat /proc/sys/vm/nr_hugepages; findmnt -n -o FSTYPE /mnt/huge');
  // the in-box ixgbe has one max_vfs for all ports (the lab takes the first of a list)
  t.is(state, 'Module\nixgbevf\nixgbe\n2\n16\nhugetlbfs\n');
  const disabled = await ssh(info, 'node1', 'systemctl disable lab-early 2>&1; systemctl is-enabled lab-early');
  t.is(disabled.code, 1);
  t.regex(disabled.stdout, /Removed symlink .*lab-early\.service\.\ndisabled\n$/);
});

test.serial("lab: the inventory it writes passes the tool's inventory validation", async (t) => {
  const inventory = loadInventory(info.inventoryPath, { checkLocalFiles: true });
  const [host] = inventory.hosts;
  t.is(inventory.hosts.length, 1);
  t.is(host?.name, 'node1');
  t.is(host?.ssh.address, info.nodes[0]?.address);
  t.is(host?.ssh.knownHosts, info.knownHostsPath);
  t.is(host?.ssh.key, info.keyPath);
  t.is(host?.distro, 'centos7');
  t.deepEqual(host?.pfs.map((p) => [p.name, p.vfs, p.vfCreation]), [
    ['enp4s0f0', 4, 'max_vfs'],
    ['enp4s0f1', 4, 'max_vfs'],
  ]);
  t.deepEqual(host?.containers.map((c) => [c.name, c.template, c.vf.pf, c.address]), [
    ['c1', 'centos', 'enp4s0f0', info.nodes[0]?.containers[0]?.address],
    ['c2', 'centos', 'enp4s0f1', info.nodes[0]?.containers[1]?.address],
  ]);
  t.is(host?.benchmark.peer, info.peerAddress);
  t.is(host?.driver.pfTarball, info.drivers.pf);
});
