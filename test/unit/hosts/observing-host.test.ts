// ObservingHost: reads named together go in one round trip and answer the stage's own calls; any
// other command, a write or a new boot makes it forget; errors name the command that failed.
import test from 'ava';
import { CommandError } from '../../../core/errors.ts';
import { ObservingHost } from '../../../hosts/observing-host.ts';
import { BatchingFakeHost } from '../../helpers/batching-fake-host.ts';

function node() {
  const fake = new BatchingFakeHost('node1', { '/etc/a': 'A\n' });
  fake.on(['uname', '-r'], { stdout: '6.1.0\n' });
  fake.on(['modinfo', '-F', 'version', 'ixgbe'], { code: 1, stderr: 'modinfo: ERROR: Module ixgbe not found.\n' });
  fake.on(['lsmod'], { stdout: 'Module Size Used by\n' });
  fake.on(['rm', '-f', '/etc/a'], {});
  return { fake, host: new ObservingHost(fake) };
}

test('reads observed together cost one round trip and answer exec, run and readFile', async (t) => {
  const { fake, host } = node();
  await host.observe([{ file: '/etc/a' }, { file: '/etc/missing' }, { argv: ['uname', '-r'] }, { argv: ['modinfo', '-F', 'version', 'ixgbe'] }]);
  t.is(fake.roundTrips, 1);
  t.is(await host.readFile('/etc/a'), 'A\n');
  t.is(await host.readFile('/etc/missing'), undefined);
  t.is((await host.run(['uname', '-r'])).stdout, '6.1.0\n');
  t.is((await host.exec(['modinfo', '-F', 'version', 'ixgbe'])).code, 1);
  const error = await t.throwsAsync(host.run(['modinfo', '-F', 'version', 'ixgbe']), { instanceOf: CommandError });
  t.is(error?.command, 'modinfo -F version ixgbe', 'the error names the command, not the batch');
  t.regex(error?.stderrTail ?? '', /Module ixgbe not found/);
  await host.observe([{ file: '/etc/a' }, { argv: ['uname', '-r'] }]);
  t.is(fake.roundTrips, 1, 'nothing new to read: no round trip');
});

test('a command that is not a remembered read, a write or an upload forgets everything', async (t) => {
  for (const change of [
    (h: ObservingHost) => h.exec(['lsmod']),
    (h: ObservingHost) => h.run(['rm', '-f', '/etc/a']),
    (h: ObservingHost) => h.writeFile('/etc/b', 'x'),
    (h: ObservingHost) => h.exec(['uname', '-r'], { stdin: 'x' }),
  ]) {
    const { fake, host } = node();
    await host.observe([{ file: '/etc/a' }]);
    await change(host);
    fake.files.set('/etc/a', { content: 'changed\n', mode: 0o644 });
    const before = fake.roundTrips;
    t.is(await host.readFile('/etc/a'), 'changed\n');
    t.is(fake.roundTrips, before + 1, 'read again from the node');
  }
});

test('a new boot id forgets; the same one does not; a read past its time limit is not remembered', async (t) => {
  const { fake, host } = node();
  await host.bootId();
  await host.observe([{ file: '/etc/a' }]);
  await host.bootId();
  fake.files.set('/etc/a', { content: 'after\n', mode: 0o644 });
  t.is(await host.readFile('/etc/a'), 'A\n', 'same boot: remembered');
  fake.currentBootId = '00000000-0000-4000-8000-000000000002';
  await host.bootId();
  t.is(await host.readFile('/etc/a'), 'after\n', 'new boot: read again');

  fake.on(['ping', '-c', '1', 'peer'], { code: 124 }, 1);
  fake.on(['ping', '-c', '1', 'peer'], { code: 0, stdout: 'pong\n' });
  await host.observe([{ argv: ['ping', '-c', '1', 'peer'], timeoutMs: 5000 }]);
  const trips = fake.roundTrips;
  t.is((await host.exec(['ping', '-c', '1', 'peer'], { timeoutMs: 5000 })).stdout, 'pong\n', 'the stage runs it itself');
  t.is(fake.roundTrips, trips + 1);
});

test('a read along goes with the next batch only, read anew; undefined when no batch took it, when the batch was unreadable, or after a forget', async (t) => {
  const { fake, host } = node();
  fake.files.set('/lock/holder', { content: 'ours\n', mode: 0o600 });
  host.readAlong('/lock/holder');
  await host.observe([{ file: '/etc/a' }]);
  t.is(fake.roundTrips, 1, 'no round trip of its own');
  t.deepEqual(fake.batches[0], ['file /etc/a', 'file /lock/holder']);
  t.deepEqual(host.takeAlong(), { text: 'ours\n' });

  // Everything the next check needs is remembered: no batch, nothing read along, nothing left waiting.
  host.readAlong('/lock/holder');
  await host.observe([{ file: '/etc/a' }]);
  t.is(host.takeAlong(), undefined);
  await host.observe([{ argv: ['uname', '-r'] }]);
  t.deepEqual(fake.batches[1], ['uname -r'], 'a read along that was taken back does not go with a later batch');

  // The holder was read before; this batch's output cannot be read: the old text is not taken for new.
  fake.files.set('/lock/holder', { content: 'another run\n', mode: 0o600 });
  host.readAlong('/lock/holder');
  const realExec = fake.exec.bind(fake);
  fake.exec = async () => ({ code: 0, stdout: 'not what the batch script prints', stderr: '' });
  await host.observe([{ argv: ['lsmod'] }]);
  fake.exec = realExec;
  t.is(host.takeAlong(), undefined);

  // A change after the batch (a command that is not a read): what it read is not the node's now.
  host.readAlong('/lock/holder');
  await host.observe([{ argv: ['lsmod'] }]);
  await host.run(['rm', '-f', '/etc/a']);
  t.is(host.takeAlong(), undefined);
});
