import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommandError, TransportError } from '../../../core/errors.ts';
import { FakeHost, fixture } from '../../helpers/fake-host.ts';

test('commands are answered by the first matching rule and recorded in order', async (t) => {
  const host = new FakeHost('node1')
    .on(['uname', '-r'], { stdout: '6.1.0-18-amd64\n' })
    .on(/^ssh-keygen -lf /, { stdout: fixture('ssh/ssh-keygen-lf.txt') })
    .on((argv) => argv[0] === 'ip', { code: 2, stderr: 'RTNETLINK answers: Operation not supported\n' });
  t.is((await host.exec(['uname', '-r'])).stdout, '6.1.0-18-amd64\n');
  t.is((await host.run(['ssh-keygen', '-lf', '/etc/ssh/ssh_host_ed25519_key.pub'])).stdout, fixture('ssh/ssh-keygen-lf.txt'));
  t.deepEqual(await host.exec(['ip', 'link', 'set', 'eth0', 'vf', '0', 'mac', '02:00:00:00:00:01']), {
    code: 2,
    stdout: '',
    stderr: 'RTNETLINK answers: Operation not supported\n',
  });
  t.deepEqual(host.commands, ['uname -r', 'ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub', 'ip link set eth0 vf 0 mac 02:00:00:00:00:01']);
});

test('a command without a rule fails loudly with its argv', async (t) => {
  const host = new FakeHost();
  await t.throwsAsync(host.exec(['rm', '-rf', 'a b']), { message: /no rule for the command rm -rf 'a b'\n {2}argv: \["rm","-rf","a b"\]/ });
});

test('limited rules give way to the next one; answers may be functions that throw', async (t) => {
  let calls = 0;
  const host = new FakeHost()
    .on(['lxc-info', '-n', 'c1'], () => {
      calls++;
      throw new TransportError('connection reset');
    }, 1)
    .on(['lxc-info', '-n', 'c1'], { stdout: 'State: RUNNING\n' });
  await t.throwsAsync(host.exec(['lxc-info', '-n', 'c1']), { instanceOf: TransportError });
  t.is((await host.exec(['lxc-info', '-n', 'c1'])).stdout, 'State: RUNNING\n');
  t.is(calls, 1);
  await t.throwsAsync(new FakeHost().on(['false'], { code: 1, stderr: 'no\n' }).run(['false']), { instanceOf: CommandError, message: /exit code 1/ });
});

test('files live in memory; uploads read the local file; bootId can change', async (t) => {
  const host = new FakeHost('node1', { '/etc/default/grub': 'GRUB_CMDLINE_LINUX=""\n' });
  t.is(await host.readFile('/etc/default/grub'), 'GRUB_CMDLINE_LINUX=""\n');
  t.is(await host.readFile('/etc/missing'), undefined);
  await host.writeFile('/etc/modules-load.d/sriov.conf', 'ixgbe\n', { mode: 0o600 });
  t.deepEqual(host.files.get('/etc/modules-load.d/sriov.conf'), { content: 'ixgbe\n', mode: 0o600 });

  const dir = mkdtempSync('/tmp/sriov-lxc-fake-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'a.tar.gz'), 'tarball');
  await host.upload(join(dir, 'a.tar.gz'), '/root/a.tar.gz');
  t.is(host.files.get('/root/a.tar.gz')?.content, 'tarball');

  const before = await host.bootId();
  host.currentBootId = '11111111-2222-4333-8444-555555555555';
  t.not(await host.bootId(), before);
  t.deepEqual(host.calls.map((c) => `${c.kind} ${c.path ?? ''}`.trim()), [
    'readFile /etc/default/grub',
    'readFile /etc/missing',
    'writeFile /etc/modules-load.d/sriov.conf',
    'upload /root/a.tar.gz',
    'bootId',
    'bootId',
  ]);
});
