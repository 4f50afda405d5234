// Real LXC on a lab node: a container created offline from the flavour's template owns a VF
// (lxc.net.0.type = phys), reaches the peer with iperf3, and comes back by itself after a reboot
// (Debian's lxc.service autostarts it); a reboot kills it and its VF like a real one.
import test from 'ava';
import { rebootFromInside, sshOk, startLab } from './lab-helpers.ts';
import type { LabInfo } from '../../lab/index.ts';

let info: LabInfo;
let stop: (() => Promise<void>) | undefined;

test.before(async () => {
  ({ info, stop } = await startLab('lxc', { nodes: 1, flavour: 'debian12' }));
});
test.after.always(async () => {
  await stop?.();
});

test.serial('lab: an LXC container owns a VF (phys) and reaches the peer with iperf3', async (t) => {
  const node = info.nodes[0];
  const c1 = node?.containers[0];
  if (!node || !c1) throw new Error('no container in the lab layout');
  const setup = [
    'set -e',
    'echo 2 > /sys/class/net/enp4s0f0/device/sriov_numvfs',
    'vf=$(ls /sys/class/net/enp4s0f0/device/virtfn0/net)',
    `lxc-create -n ${c1.name} -t debian -- --release bookworm >/dev/null`,
    `cat >> /var/lib/lxc/${c1.name}/config <<EOF`,
    'lxc.net.0.type = phys',
    'lxc.net.0.link = $vf',
    'lxc.net.0.hwaddr = d6:d6:d6:54:f9:f8',
    `lxc.net.0.ipv4.address = ${c1.address}`,
    'lxc.net.0.flags = up',
    'lxc.start.auto = 1',
    'EOF',
    `lxc-start -n ${c1.name} -d`,
    `lxc-info -n ${c1.name} -s -i`,
    'echo "on host: $(ls /sys/class/net | grep -c "^$vf$")"',
  ].join('\n');
  const started = await sshOk(info, 'node1', setup);
  t.regex(started, /State:\s+RUNNING/);
  t.regex(started, new RegExp(`IP:\\s+${c1.address.split('/')[0]?.replace(/\./g, '\\.') ?? ''}`));
  t.regex(started, /on host: 0/, 'the VF netdev moved into the container');
  const inside = await sshOk(info, 'node1', `lxc-attach -n ${c1.name} -- ip -o link show`);
  t.regex(inside, /link\/ether d6:d6:d6:54:f9:f8/);
  const iperf = JSON.parse(await sshOk(info, 'node1', `lxc-attach -n ${c1.name} -- iperf3 -c ${info.peerAddress} -t 1 -J`)) as {
    end: { sum_received: { bits_per_second: number } };
  };
  t.true(iperf.end.sum_received.bits_per_second > 1e8, `${iperf.end.sum_received.bits_per_second} bit/s`);
  const fromHost = JSON.parse(await sshOk(info, 'node1', `iperf3 -c ${info.peerAddress} -t 1 -J`)) as typeof iperf;
  t.true(fromHost.end.sum_received.bits_per_second > 1e8, 'the node itself reaches the peer through its PF');
  t.regex(await sshOk(info, 'node1', `lxc-attach -n ${c1.name} -- fio --version`), /^fio-/);
  t.is((await sshOk(info, 'node1', `lxc-cgroup -n ${c1.name} memory.limit_in_bytes 536870912 && lxc-cgroup -n ${c1.name} memory.limit_in_bytes`)).trim(), '536870912');
});

test.serial('lab: a reboot kills the container and its VF; lxc.service starts it again once the VF is back', async (t) => {
  const before = (await sshOk(info, 'node1', 'lxc-info -n c1 -p')).trim();
  await sshOk(
    info,
    'node1',
    `echo 'ACTION=="add", SUBSYSTEM=="net", KERNELS=="0000:04:00.0", ATTR{device/sriov_numvfs}="2"' > /etc/udev/rules.d/70-sriov.rules`,
  );
  await rebootFromInside(info, 'node1', 'reboot');
  const after = await sshOk(
    info,
    'node1',
    'for i in $(seq 100); do lxc-info -n c1 -s | grep -q RUNNING && break; sleep 0.1; done; lxc-info -n c1 -s -p; cat /sys/class/net/enp4s0f0/device/sriov_numvfs',
  );
  t.regex(after, /State:\s+RUNNING/);
  t.not(after.match(/PID:\s+(\d+)/)?.[1], before.match(/PID:\s+(\d+)/)?.[1]);
  t.regex(after, /\n2\n$/);
  t.regex(await sshOk(info, 'node1', 'lxc-attach -n c1 -- ip -o link show'), /link\/ether d6:d6:d6:54:f9:f8/);
});

// The template's busybox tree comes from its cache (lib/busybox-cache.sh, made when the node was
// installed), as the real templates copy the rootfs they keep under /var/cache/lxc; a cache that is
// gone, or holds another busybox than the node's, is made again before it is copied.
test.serial("lab: the template copies its cached busybox tree, and makes the cache again when it is missing or not the node's busybox", async (t) => {
  const tree = (name: string) =>
    `bb=$(command -v busybox); cmp -s "$bb" /var/lib/lxc/${name}/rootfs/bin/busybox && echo same-binary; ` +
    `echo "links $(find /var/lib/lxc/${name}/rootfs/bin -type l -lname busybox | wc -l) of $(busybox --list | grep -vc '^busybox$')"; ` +
    `cmp -s "$bb" /var/cache/lxc/sriov-lab/busybox/busybox && echo cache-current`;
  const installed = await sshOk(info, 'node1', `test -d /var/cache/lxc/sriov-lab/busybox && echo cached; lxc-create -n t2 -t debian >/dev/null && ${tree('t2')}; lxc-destroy -n t2 >/dev/null`);
  const expected = (await sshOk(info, 'node1', "busybox --list | grep -vc '^busybox$'")).trim();
  t.is(installed, `cached\nsame-binary\nlinks ${expected} of ${expected}\ncache-current\n`);
  const missing = await sshOk(info, 'node1', `rm -rf /var/cache/lxc/sriov-lab; lxc-create -n t3 -t debian >/dev/null && ${tree('t3')}; lxc-destroy -n t3 >/dev/null`);
  t.is(missing, `same-binary\nlinks ${expected} of ${expected}\ncache-current\n`, 'a missing cache is made again');
  const stale = await sshOk(info, 'node1', `printf 'not busybox' > /var/cache/lxc/sriov-lab/busybox/busybox; lxc-create -n t4 -t debian >/dev/null && ${tree('t4')}; lxc-destroy -n t4 >/dev/null; ls -A /var/cache/lxc/sriov-lab`);
  t.is(stale, `same-binary\nlinks ${expected} of ${expected}\ncache-current\nbusybox\n`, 'a cache of another busybox is made again, and nothing is left beside it');
});
