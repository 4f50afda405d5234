// The run-scoped read cache: a steady fact is read once until something may have changed the node.
import test from 'ava';
import { ReadCache } from '../../hosts/read-cache.ts';
import { FakeHost } from '../helpers/fake-host.ts';

const PROBE = ['sh', '-c', 'test -d /boot/loader/entries && echo entries'];

function node(): FakeHost {
  const host = new FakeHost('node1', { '/etc/default/grub': 'GRUB_CMDLINE_LINUX="a"\n', '/proc/cmdline': 'ro quiet\n', '/sys/class/net/eth0/operstate': 'up\n' });
  host.on(PROBE, { stdout: 'entries\n' });
  host.on(['uname', '-r'], { stdout: '6.1.0-27-amd64\n' });
  host.on(['systemctl', 'is-enabled', 'lxc.service'], { stdout: 'disabled\n', code: 1 });
  host.on(['update-grub'], { stdout: '' });
  host.on(['ip', '-j', 'link', 'show'], { stdout: '[]' });
  return host;
}

const reads = (host: FakeHost, path: string) => host.calls.filter((c) => c.kind === 'readFile' && c.path === path).length;

test('steady files and probes are read once; /sys, ip and other commands every time', async (t) => {
  const inner = node();
  const host = new ReadCache(inner, [PROBE]);
  for (let i = 0; i < 3; i++) {
    t.is(await host.readFile('/etc/default/grub'), 'GRUB_CMDLINE_LINUX="a"\n');
    t.is(await host.readFile('/proc/cmdline'), 'ro quiet\n');
    t.is(await host.readFile('/sys/class/net/eth0/operstate'), 'up\n');
    t.is((await host.run(PROBE)).stdout, 'entries\n');
    t.is((await host.exec(['uname', '-r'])).stdout, '6.1.0-27-amd64\n');
    t.is((await host.exec(['systemctl', 'is-enabled', 'lxc.service'])).code, 1);
  }
  t.is(reads(inner, '/etc/default/grub'), 1);
  t.is(reads(inner, '/proc/cmdline'), 1);
  t.is(reads(inner, '/sys/class/net/eth0/operstate'), 3, '/sys changes by itself: never cached');
  t.deepEqual(inner.commands, ['sh -c \'test -d /boot/loader/entries && echo entries\'', 'uname -r', 'systemctl is-enabled lxc.service']);
  t.is(host.hits, 10);
  await t.throwsAsync(host.run(['systemctl', 'is-enabled', 'lxc.service']), { message: /systemctl is-enabled lxc\.service/ }, 'run still fails on a failed probe');
});

test('any other command, a write, an upload or a reconnect forgets everything', async (t) => {
  const inner = node();
  const host = new ReadCache(inner, [PROBE]);
  const grubReads = async (change: () => Promise<unknown>) => {
    const before = reads(inner, '/etc/default/grub');
    await host.readFile('/etc/default/grub');
    await change();
    await host.readFile('/etc/default/grub');
    return reads(inner, '/etc/default/grub') - before;
  };
  t.is(await grubReads(() => host.exec(['update-grub'])), 2, 'read before and again after update-grub');
  t.is(await grubReads(() => host.writeFile('/etc/default/grub', 'GRUB_CMDLINE_LINUX="b"\n')), 1);
  t.is(await host.readFile('/etc/default/grub'), 'GRUB_CMDLINE_LINUX="b"\n', 'the write is seen');
  t.is(await grubReads(() => host.disconnect()), 1);
  t.is(await grubReads(() => host.exec(['ip', '-j', 'link', 'show'])), 1, 'ip is not a steady probe: it forgets too');
  t.is(await grubReads(() => host.readFile('/proc/cmdline')), 0, 'a read forgets nothing');
});
