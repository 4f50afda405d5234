import test from 'ava';
import { FatalError } from '../../../../core/errors.ts';
import { ipArgv, iprouteOf, probeIproute, RECORDED_IPROUTE } from '../../../../node/facts/iproute.ts';
import { recorded as recordedOf } from '../../../../core/outputs.ts';
import { FakeHost } from '../../../helpers/fake-host.ts';
import { answerIproute } from '../../../helpers/iproute.ts';

test('iproute2 6.1 (Debian 12): JSON; ip commands ask for it', async (t) => {
  const ip = await probeIproute(answerIproute(new FakeHost('deb')));
  t.deepEqual(ip, { version: '6.1.0', json: true });
  t.deepEqual(ipArgv(ip, ['link', 'show']), ['ip', '-j', 'link', 'show']);
});

test('iproute 4.11 (CentOS 7): "Option -j is unknown", exit 255: text', async (t) => {
  const ip = await probeIproute(answerIproute(new FakeHost('c7'), '4.11'));
  t.deepEqual(ip, { version: 'ss170501', json: false });
  t.deepEqual(ipArgv(ip, ['route', 'show', 'default']), ['ip', 'route', 'show', 'default']);
});

test('an ip that fails the probe otherwise is fatal, naming the command', async (t) => {
  const host = new FakeHost('odd').on(['ip', '-V'], { stdout: 'ip utility, iproute2-6.1.0\n' }).on(['ip', '-j', 'link', 'show', 'lo'], { code: 1, stderr: 'Cannot open netlink socket: Permission denied\n' });
  const error = await t.throwsAsync(probeIproute(host), { instanceOf: FatalError });
  t.regex(error?.message ?? '', /`ip -j link show lo` failed \(exit 1\): Cannot open netlink socket/);
});

test('what vf-verify recorded is used without asking the node again', async (t) => {
  const host = new FakeHost('c7');
  const recorded = { version: 'ss170501', json: false };
  t.deepEqual(await iprouteOf(host, recordedOf({ 'vf-verify': { iproute: recorded, pfs: [] } }, RECORDED_IPROUTE)), recorded);
  t.deepEqual(host.commands, []);
  answerIproute(host, '4.11');
  t.deepEqual(await iprouteOf(host, recordedOf({ 'vf-verify': { pfs: [] } }, RECORDED_IPROUTE)), recorded, 'a checkpoint from before: probed');
  t.is(recordedOf({ 'vf-verify': { iproute: { version: 6 } } }, RECORDED_IPROUTE), undefined, 'a value of the wrong shape is not taken');
  t.deepEqual(host.commands, ['ip -V', 'ip -j link show lo']);
});
