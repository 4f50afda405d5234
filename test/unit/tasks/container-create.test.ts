import test from 'ava';
import { containerCreateStage } from '../../../tasks/container-create.ts';
import { LXC_SERVICE_MARK } from '../../../node/lxc/autostart.ts';
import type { StageContext } from '../../../engine/stage.ts';
import { FatalError, NotReadyError } from '../../../core/errors.ts';
import { parseInventory } from '../../../inventory/load.ts';
import { FakeHost, fixture } from '../../helpers/fake-host.ts';
import { BatchingFakeHost } from '../../helpers/batching-fake-host.ts';
import { ObservingHost } from '../../../hosts/observing-host.ts';
import { answerIproute } from '../../helpers/iproute.ts';
import { ADOPTED_MARK, CREATED_MARK, creationRecord } from '../../../node/lxc/ownership.ts';

// The container of these tests ran for real on the development VM: a busybox container owning a
// macvlan that stands in for the VF (test/fixtures/stages/container/README.md).
const f = (name: string) => fixture(`stages/container/${name}`);
const CONFIG = '/var/lib/lxc/sxt-c1/config';
const AUTODEV = '/var/lib/lxc/sxt-c1/sriov-lxc-autodev.sh';
const START_HOST = '/var/lib/lxc/sxt-c1/sriov-lxc-start-host.sh';

const inventory = (container = '', extra = '') => `
hosts:
  node1:
    address: 127.0.0.1
    pfs:
      - { name: sxt-pf, vfs: 2, macs: ["02:00:00:00:0a:10", "02:00:00:00:0a:11"] }
    containers:
      - name: sxt-c1
        template: busybox
        vf: { pf: sxt-pf, index: 0 }
        address: 192.0.2.11/24
        gateway: 192.0.2.1
        limits: { memory: 256M, cpus: "0" }
        devices: [/dev/loop0]
        rate: 1gbit
${container}
    benchmark:
      peer: 192.0.2.1
      fio: { directory: /srv/sxt-bench }
${extra}`;

const VF_OUTPUTS = {
  'vf-verify': { iproute: { version: '6.1.0', json: true }, pfs: [{ name: 'sxt-pf', pci: null, vfs: [{ index: 0, netdev: 'sxt-vf0', pci: '0000:04:10.0', mac: '02:00:00:00:0a:10' }] }] },
};

function context(host: FakeHost | ObservingHost, yaml = inventory(), outputs: StageContext['outputs'] = VF_OUTPUTS, adopt = false): StageContext & { logs: string[] } {
  const logs: string[] = [];
  const plan = parseInventory(yaml, '/tmp/inventory.yaml').hosts[0]!;
  return { host, plan, outputs, log: (m) => logs.push(m), signal: new AbortController().signal, runId: 'r1', stateDir: '/tmp/state', adopt, logs };
}

interface NodeState {
  running: boolean;
  address: boolean;
  route: boolean;
  ping: 'ok' | 'unreachable' | 'missing';
  /** lxc.service, which starts autostart containers at boot. */
  autostart: boolean;
}

const attach = (...argv: string[]) => ['lxc-attach', '-n', 'sxt-c1', '-s', 'NETWORK', '--', ...argv];

/** A node answering with the outputs captured while the container was created and run for real. */
function node(state: NodeState, files: Record<string, string> = {}, Kind: typeof FakeHost = FakeHost): FakeHost {
  const host = new Kind('node1', files);
  answerIproute(host);
  host
    .on(['lxc-create', '--version'], { stdout: f('lxc-create-version-5.0.2.txt') })
    .on(['systemctl', 'is-enabled', 'lxc.service'], () => (state.autostart ? { stdout: f('is-enabled-lxc-enabled.stdout') } : { code: 1, stdout: f('is-enabled-lxc-disabled.stdout') }))
    .on(['systemctl', 'enable', 'lxc.service'], () => {
      state.autostart = true;
      return {};
    })
    .on(['lxc-config', 'lxc.lxcpath'], { stdout: f('lxc-config-lxcpath.txt') })
    .on(['stat', '-L', '-c', '%t %T %F', '/dev/loop0'], { stdout: f('stat-loop0.txt') })
    .on(['lxc-create', '-n', 'sxt-c1', '-t', 'busybox'], () => {
      host.files.set(CONFIG, { content: f('lxc-config-busybox-created.txt'), mode: 0o644 });
      return {};
    })
    .on(['lxc-info', '-n', 'sxt-c1'], () => ({ stdout: f(state.running ? 'lxc-info-running-phys-ip.txt' : 'lxc-info-stopped.txt') }))
    .on(['lxc-start', '-n', 'sxt-c1', '-d'], () => {
      // busybox's rcS runs udhcpc, which flushes the static address (and so the route) at start.
      Object.assign(state, { running: true, address: false, route: false });
      return {};
    })
    .on(['lxc-stop', '-n', 'sxt-c1', '-t', '10'], () => {
      state.running = false;
      return {};
    })
    .on(attach('ip', '-j', 'addr', 'show'), () => ({ stdout: f(state.address ? 'ip-j-addr-with-address.json' : 'ip-j-addr-no-address.json') }))
    .on(attach('ip', '-j', 'route', 'show', 'default'), () => ({ stdout: f(state.route ? 'ip-j-route-default.json' : 'ip-j-route-none.json') }))
    // The start-host hook sets the rate at every start.
    .on(attach('tc', 'qdisc', 'show', 'dev', 'eth0'), { stdout: f('tc-qdisc-htb-iproute2-6.1.txt') })
    .on(attach('tc', 'class', 'show', 'dev', 'eth0'), { stdout: f('tc-class-htb-1gbit.txt') })
    .on(attach('ip', 'addr', 'replace', '192.0.2.11/24', 'dev', 'eth0'), () => {
      state.address = true;
      return {};
    })
    .on(attach('ip', 'route', 'replace', 'default', 'via', '192.0.2.1', 'dev', 'eth0'), () => {
      state.route = true;
      return {};
    })
    .on(['lxc-attach', '-n', 'sxt-c1', '--', 'ping', '-c', '1', '-W', '2', '192.0.2.1'], () => {
      if (state.ping === 'ok') return { stdout: f('ping-ok.txt') };
      if (state.ping === 'missing') return { code: 127, stderr: f('lxc-attach-missing-program.stderr') };
      return { code: 1, stdout: f('ping-unreachable.txt') };
    })
    .on((argv) => argv[0] === 'rm' && argv[2] === '--', (argv) => {
      host.files.delete(argv[3] as string);
      return {};
    });
  return host;
}

/** The config container-create wrote on the real node, with the mark of a container it created. */
const OURS = `${CREATED_MARK}\n${f('lxc-config-configured.txt')}`;
const configured = () => ({ [CONFIG]: OURS, [AUTODEV]: f('hook-autodev-loop0.sh'), [START_HOST]: f('hook-start-host-1gbit.sh') });
const runningState = (): NodeState => ({ running: true, address: true, route: true, ping: 'ok', autostart: true });
const mutations = (host: FakeHost) => host.commands.filter((c) => /^lxc-(create -n|start|stop)|replace|del |systemctl enable/.test(c));

test('a configured node is done, with a reason a person can read', async (t) => {
  const host = node(runningState(), configured());
  const result = await containerCreateStage.check(context(host));
  t.like(result, { done: true, reason: 'sxt-c1 (sxt-vf0, 02:00:00:00:0a:10): running with their VFs (LXC 5.0.2)' });
  t.false(host.calls.some((c) => c.kind === 'writeFile'));
  const pings = host.commands.filter((c) => c.includes('ping')).length;
  t.deepEqual(result.done && result.outputs, await containerCreateStage.verify(context(host)), 'check gives the outputs verify gives');
  t.true(pings > 0, 'check pinged the peer from the container, as verify does');
});

test('check then apply, as the engine runs them: whether lxc.service needs enabling is answered by what the check read', async (t) => {
  const batching = node({ running: false, address: false, route: false, ping: 'ok', autostart: false }, {}, BatchingFakeHost) as BatchingFakeHost;
  const ctx = context(new ObservingHost(batching));
  t.false((await containerCreateStage.check(ctx)).done);
  const [commands, batches] = [batching.commands.length, batching.batches.flat().length];
  await containerCreateStage.apply(ctx);
  const isEnabled = (list: string[]) => list.filter((c) => c === 'systemctl is-enabled lxc.service').length;
  const alone = isEnabled(batching.commands.slice(commands)) - isEnabled(batching.batches.flat().slice(batches));
  t.is(alone, 0, 'no round trip of its own for lxc.service\'s state');
  t.true(batching.commands.includes('systemctl enable lxc.service'));
});

test('fresh node: the plan, then apply creates, configures and starts; a second check is done', async (t) => {
  const state: NodeState = { running: false, address: false, route: false, ping: 'ok', autostart: false };
  const host = node(state);
  const ctx = context(host);
  t.deepEqual(await containerCreateStage.check(ctx), {
    done: false,
    plan: [
      'create sxt-c1: lxc-create -n sxt-c1 -t busybox',
      'configure sxt-c1 with its VF (sxt-vf0), MAC 02:00:00:00:0a:10, then start it',
      'enable lxc.service (it starts the containers marked lxc.start.auto = 1 at boot)',
    ],
  });
  await containerCreateStage.apply(ctx);
  t.deepEqual(mutations(host), [
    'lxc-create -n sxt-c1 -t busybox',
    'lxc-start -n sxt-c1 -d',
    'lxc-attach -n sxt-c1 -s NETWORK -- ip addr replace 192.0.2.11/24 dev eth0',
    'lxc-attach -n sxt-c1 -s NETWORK -- ip route replace default via 192.0.2.1 dev eth0',
    'systemctl enable lxc.service',
  ]);
  // Noted before enabling it, so that teardown disables lxc.service only where sriov-lxc enabled it.
  const marked = host.calls.findIndex((c) => c.kind === 'writeFile' && c.path === LXC_SERVICE_MARK);
  t.true(marked >= 0 && marked < host.calls.findIndex((c) => c.kind === 'exec' && c.argv?.join(' ') === 'systemctl enable lxc.service'));
  t.is(host.files.get(LXC_SERVICE_MARK)?.directoryMode, 0o700, 'in the private state directory, made by the write when missing');
  // What the stage wrote on the real node, byte for byte: the template's lines kept, our mark first.
  t.is(host.files.get(CONFIG)?.content, OURS);
  // The creation was noted on the node before lxc-create, and the note removed once the mark was in.
  const noted = host.calls.findIndex((c) => c.kind === 'writeFile' && c.path === creationRecord('sxt-c1'));
  t.true(noted >= 0 && noted < host.calls.findIndex((c) => c.kind === 'exec' && c.line?.startsWith('lxc-create -n') === true));
  t.false(host.files.has(creationRecord('sxt-c1')));
  t.deepEqual(host.files.get(AUTODEV), { content: f('hook-autodev-loop0.sh'), mode: 0o755 });
  t.deepEqual(host.files.get(START_HOST), { content: f('hook-start-host-1gbit.sh'), mode: 0o755 });
  t.true(ctx.logs.some((l) => /192\.0\.2\.11\/24 missing on eth0 .*udhcpc/.test(l)));
  t.like(await containerCreateStage.check(ctx), { done: true });
  t.deepEqual(await containerCreateStage.verify(ctx), {
    containers: [{ name: 'sxt-c1', state: 'RUNNING', pid: 8808, vf: { pf: 'sxt-pf', index: 0, netdev: 'sxt-vf0' }, mac: '02:00:00:00:0a:10', address: '192.0.2.11/24' }],
  });
});

test('a config change on a running container: stop, write, start, in that order', async (t) => {
  const host = node(runningState(), configured());
  const ctx = context(host, inventory().replace('memory: 256M', 'memory: 512M'));
  const check = await containerCreateStage.check(ctx);
  t.false(check.done);
  if (!check.done) {
    t.deepEqual(check.plan, [`edit ${CONFIG} (restarts sxt-c1)`]);
    t.regex(check.diffs?.[0]?.diff ?? '', /-lxc\.cgroup\.memory\.limit_in_bytes = 256M\n\+lxc\.cgroup\.memory\.limit_in_bytes = 512M/);
  }
  await containerCreateStage.apply(ctx);
  const order = host.calls.flatMap((c) => (c.kind === 'writeFile' ? [`write ${c.path}`] : c.kind === 'exec' && /^lxc-(stop|start)/.test(c.line ?? '') ? [c.line] : []));
  t.deepEqual(order, ['lxc-stop -n sxt-c1 -t 10', `write ${CONFIG}`, 'lxc-start -n sxt-c1 -d']);
  t.regex(host.files.get(CONFIG)?.content ?? '', /^lxc\.cgroup\.memory\.limit_in_bytes = 512M$/m);
});

test('the address a DHCP client removed is planned back, not a restart', async (t) => {
  const host = node({ ...runningState(), address: false }, configured());
  const check = await containerCreateStage.check(context(host));
  t.like(check, { done: false, plan: ['set 192.0.2.11/24 on eth0 in sxt-c1 (has none; a DHCP client in the container may have removed it)'] });
  await t.throwsAsync(containerCreateStage.verify(context(host)), { instanceOf: NotReadyError, message: /sxt-c1 lacks 192\.0\.2\.11\/24 on eth0/ });
});

test('verify: a stopped container is fatal, an unreachable peer is not ready, a missing ping is fatal', async (t) => {
  const stopped = node({ ...runningState(), running: false }, configured());
  await t.throwsAsync(containerCreateStage.verify(context(stopped)), { instanceOf: FatalError, message: 'container sxt-c1 is STOPPED' });
  const unreachable = node({ ...runningState(), ping: 'unreachable' }, configured());
  await t.throwsAsync(containerCreateStage.verify(context(unreachable)), { instanceOf: NotReadyError, message: /does not reach the benchmark peer 192\.0\.2\.1/ });
  const noPing = node({ ...runningState(), ping: 'missing' }, configured());
  const error = await t.throwsAsync(containerCreateStage.verify(context(noPing)), { instanceOf: FatalError, message: /has no ping/ });
  t.regex(error?.hint ?? '', /install ping in the container/);
});

test('a dry run on a configured node without vf-verify outputs in the checkpoint: done, the VF proven by its MAC', async (t) => {
  const host = node(runningState(), configured());
  t.like(await containerCreateStage.check(context(host, inventory(), {})), { done: true });
});

test('without vf-verify outputs: check plans with the reason, apply refuses', async (t) => {
  const host = node({ running: false, address: false, route: false, ping: 'ok', autostart: false });
  const ctx = context(host, inventory(), {});
  t.like(await containerCreateStage.check(ctx), { done: false, plan: ['create sxt-c1: lxc-create -n sxt-c1 -t busybox', 'configure sxt-c1 with its VF (the netdev of VF 0 of sxt-pf is known after vf-verify has run), MAC 02:00:00:00:0a:10, then start it'] });
  await t.throwsAsync(containerCreateStage.apply(ctx), { instanceOf: FatalError, message: /outputs of vf-verify are missing/ });
  t.false(host.commands.some((c) => c.startsWith('lxc-create -n')));
});

const centosPatch = '        templatePatches: [centos7-slow-boot]';
const customPatch = (find: string) => `        templatePatches: [{ file: /usr/share/lxc/config/busybox.conf, find: "${find}", replace: "lxc.tty.max = 2" }]`;

test("a named patch this LXC's file no longer needs is reported, not applied", async (t) => {
  const host = node(runningState(), { ...configured(), '/usr/share/lxc/config/centos.common.conf': f('lxc5-centos.common.conf') });
  const ctx = context(host, inventory(centosPatch));
  t.like(await containerCreateStage.check(ctx), { done: true });
  t.deepEqual(ctx.logs, ["template patch centos7-slow-boot: not needed: this LXC's /usr/share/lxc/config/centos.common.conf no longer has the bug"]);
});

test('a custom patch: diff in check, backup and patched file in apply, then done', async (t) => {
  const file = '/usr/share/lxc/config/busybox.conf';
  const host = node(runningState(), { ...configured(), [file]: 'lxc.autodev = 1\nlxc.tty.max = 5\n' });
  host.on(['stat', '-c', '%a %u %g %F', '--', file], { stdout: '644 0 0 regular file\n' });
  const ctx = context(host, inventory(customPatch('lxc.tty.max = 5')));
  const check = await containerCreateStage.check(ctx);
  t.like(check, { done: false, plan: [`patch ${file} (custom), backup in ${file}.sriov-lxc.bak`] });
  if (!check.done) t.is(check.diffs?.[0]?.diff, `--- a${file}\n+++ b${file}\n@@ -1,2 +1,2 @@\n lxc.autodev = 1\n-lxc.tty.max = 5\n+lxc.tty.max = 2\n`);
  await containerCreateStage.apply(ctx);
  t.is(host.files.get(`${file}.sriov-lxc.bak`)?.content, 'lxc.autodev = 1\nlxc.tty.max = 5\n');
  t.is(host.files.get(file)?.content, 'lxc.autodev = 1\nlxc.tty.max = 2\n');
  t.like(await containerCreateStage.check(ctx), { done: true });
});

test('a custom patch whose file has neither text is fatal, naming the file', async (t) => {
  const file = '/usr/share/lxc/config/busybox.conf';
  const host = node(runningState(), { ...configured(), [file]: 'lxc.autodev = 1\n' });
  await t.throwsAsync(containerCreateStage.check(context(host, inventory(customPatch('lxc.tty.max = 5')))), {
    instanceOf: FatalError,
    message: `patch does not apply: ${file} has neither the text to find nor the replacement`,
  });
});

test('a device that is not on the node is fatal before anything changes', async (t) => {
  const host = node({ running: false, address: false, route: false, ping: 'ok', autostart: false });
  host.on(['stat', '-L', '-c', '%t %T %F', '/dev/nvme0n1'], { code: 1, stderr: f('stat-missing.stderr') });
  const yaml = inventory().replace('devices: [/dev/loop0]', 'devices: [/dev/nvme0n1]');
  await t.throwsAsync(containerCreateStage.check(context(host, yaml)), { instanceOf: FatalError, message: 'device /dev/nvme0n1 of container sxt-c1 does not exist on node1' });
});

// Issue 17 (7): patched files became 0644 root:root (a 0755 template is refused by lxc-create when
// it is not executable; a 0600 file was readable by all).
test('a patched template keeps its mode; a file of another owner keeps owner and mode, its backup too', async (t) => {
  const template = '/usr/share/lxc/templates/lxc-busybox';
  const secret = '/var/lib/lxc/sxt-c1/rootfs/etc/secret.conf';
  const host = node(runningState(), { ...configured(), [template]: '#!/bin/sh\nA=1\n', [secret]: 'key=old\n' });
  host.on(['stat', '-c', '%a %u %g %F', '--', template], { stdout: f('stat-c-a-u-g-F-lxc-busybox.stdout') });
  host.on(['stat', '-c', '%a %u %g %F', '--', secret], { stdout: '600 1000 1000 regular file\n' });
  host.on((argv) => argv[0] === 'chown', {});
  const patches = `        templatePatches: [{ file: ${template}, find: "A=1", replace: "A=2" }, { file: ${secret}, find: "key=old", replace: "key=new" }]`;
  await containerCreateStage.apply(context(host, inventory(patches)));
  t.is(host.files.get(template)?.mode, 0o755);
  t.is(host.files.get(`${template}.sriov-lxc.bak`)?.mode, 0o755);
  t.false(host.commands.some((c) => c.startsWith(`chown -h 0:0`)), 'root-owned files need no chown');
  t.is(host.files.get(secret)?.mode, 0o600);
  t.is(host.files.get(`${secret}.sriov-lxc.bak`)?.mode, 0o600);
  t.true(host.commands.includes(`chown -h 1000:1000 -- ${secret}`));
  t.true(host.commands.includes(`chown -h 1000:1000 -- ${secret}.sriov-lxc.bak`));
});

// Issue 22: CentOS 7's template asks mirrorlist.centos.org, switched off after the end of life;
// it prints "Failed to download the rootfs, aborting." (lxc-templates' lxc-centos) after yum's
// complaint, and lxc-create reports the template's failure.
test('a template that cannot download its rootfs gets a hint that says so (centos: the vault)', async (t) => {
  const yaml = inventory().replace('template: busybox', 'template: centos\n        templateArgs: [--release, "7"]');
  const host = node({ running: false, address: false, route: false, ping: 'ok', autostart: false });
  host.on(['lxc-create', '-n', 'sxt-c1', '-t', 'centos', '--', '--release', '7'], {
    code: 1,
    stdout: 'Downloading CentOS minimal ...\nCannot find a valid baseurl for repo: base\nFailed to download the rootfs, aborting.\nFailed to download \'CentOS base\'\n',
    stderr: 'lxc-create: sxt-c1: lxccontainer.c: create_run_template: 1627 Failed to create container from template\nlxc-create: sxt-c1: tools/lxc_create.c: main: 317 Failed to create container sxt-c1\n',
  });
  const error = await t.throwsAsync(containerCreateStage.apply(context(host, yaml)), { message: /^lxc-create of sxt-c1 failed \(exit 1\)/ });
  t.is((error as { hint?: string }).hint, 'the centos template could not download its packages: without --repo it asks mirrorlist.centos.org, switched off since CentOS 7\'s end of life (2024); give it the CentOS vault: templateArgs: [--release, "7", --repo, https://vault.centos.org/7.9.2009/os/x86_64/] (or a mirror of your own), or use lxc-create -t download');
});

// Issue 21: an operator's container named like the inventory's was reconfigured for the VF (and
// teardown then destroyed it, rootfs and all).
test("an operator's container of the inventory's name is refused, naming it, before anything changes", async (t) => {
  const operators = { [CONFIG]: f('lxc-config-busybox-created.txt') };
  const host = node(runningState(), operators);
  const e = await t.throwsAsync(containerCreateStage.check(context(host)), { instanceOf: FatalError });
  t.regex(e!.message, /^container sxt-c1 already exists on node1 and sriov-lxc did not create it .*refusing to take it over for VF 0 of sxt-pf$/);
  t.regex(e!.hint ?? '', /--adopt/);
  await t.throwsAsync(containerCreateStage.apply(context(host)), { instanceOf: FatalError, message: /sxt-c1 already exists/ });
  t.is(host.files.get(CONFIG)?.content, f('lxc-config-busybox-created.txt'));
  t.deepEqual(mutations(host), []);
  t.false(host.calls.some((c) => c.kind === 'writeFile'));
});

test('--adopt takes it: configured for its VF and marked adopted (teardown leaves it)', async (t) => {
  const host = node({ running: false, address: false, route: false, ping: 'ok', autostart: true }, { [CONFIG]: f('lxc-config-busybox-created.txt') });
  const ctx = context(host, inventory(), VF_OUTPUTS, true);
  t.like(await containerCreateStage.check(ctx), { done: false, plan: [`write ${AUTODEV}`, `write ${START_HOST}`, `edit ${CONFIG}`, 'start sxt-c1 (STOPPED)'] });
  await containerCreateStage.apply(ctx);
  t.false(host.commands.some((c) => c.startsWith('lxc-create -n')));
  t.is(host.files.get(CONFIG)?.content, `${ADOPTED_MARK}\n${f('lxc-config-configured.txt')}`);
  t.like(await containerCreateStage.check(ctx), { done: true });
});

test('a run stopped between lxc-create and the mark finds its creation record: the container is marked as ours, without a restart', async (t) => {
  const host = node(runningState(), { ...configured(), [CONFIG]: f('lxc-config-configured.txt'), [creationRecord('sxt-c1')]: 'x\n' });
  const ctx = context(host);
  t.like(await containerCreateStage.check(ctx), { done: false, plan: [`finish the creation of sxt-c1 (a run stopped after lxc-create): mark it as sriov-lxc's, remove ${creationRecord('sxt-c1')}`, `edit ${CONFIG}`] });
  await containerCreateStage.apply(ctx);
  t.is(host.files.get(CONFIG)?.content, OURS);
  t.false(host.files.has(creationRecord('sxt-c1')));
  t.deepEqual(mutations(host), [], 'a comment line needs no restart');
  t.like(await containerCreateStage.check(ctx), { done: true });
});
