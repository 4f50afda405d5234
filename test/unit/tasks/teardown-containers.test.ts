// Teardown of container-create (tasks/teardown-containers.ts) on a node answering with the outputs
// captured when the container ran for real (test/fixtures/stages/container/README.md): stopped
// (-k) and destroyed by name, the patched template restored from its backup, lxc.service disabled
// only where container-create noted that it enabled it.
import test from 'ava';
import { containersTeardownStage } from '../../../tasks/teardown-containers.ts';
import { LXC_SERVICE_MARK } from '../../../node/lxc/autostart.ts';
import type { StageContext } from '../../../engine/stage.ts';
import { parseInventory } from '../../../inventory/load.ts';
import { FakeHost, fixture } from '../../helpers/fake-host.ts';
import { ADOPTED_MARK, CREATED_MARK, creationRecord } from '../../../node/lxc/ownership.ts';
import { FatalError } from '../../../core/errors.ts';

const f = (name: string) => fixture(`stages/container/${name}`);
const CONFIG = '/var/lib/lxc/sxt-c1/config';
const TEMPLATE = '/usr/share/lxc/config/centos.common.conf';
const ORIGINAL = f('lxc5-centos.common.conf');
/** The config of a container container-create created (its mark first), and of an operator's. */
const OURS = `${CREATED_MARK}\n${f('lxc-config-configured.txt')}`;
const OPERATORS = f('lxc-config-busybox-created.txt');
const PATCHED = ORIGINAL.split('lxc.cap.drop = mac_admin mac_override setfcap setpcap').join('lxc.cap.drop = mac_admin mac_override');

const plan = parseInventory(`
hosts:
  node1:
    address: 127.0.0.1
    pfs:
      - { name: sxt-pf, vfs: 2 }
    containers:
      - { name: sxt-c1, template: busybox, templatePatches: [centos7-slow-boot], vf: { pf: sxt-pf, index: 0 } }
`, '/tmp/inventory.yaml').hosts[0]!;

const context = (host: FakeHost): StageContext => ({ host, plan, outputs: {}, log: () => {}, signal: new AbortController().signal, runId: 'r1', stateDir: '/tmp/state' });

function node(files: Record<string, string>, state: { running: boolean; lxcService: boolean }): FakeHost {
  const host = new FakeHost('node1', files);
  host
    .on(['lxc-create', '--version'], { stdout: f('lxc-create-version-5.0.2.txt') })
    .on(['lxc-config', 'lxc.lxcpath'], { stdout: f('lxc-config-lxcpath.txt') })
    .on(['lxc-info', '-n', 'sxt-c1'], () => ({ stdout: f(state.running ? 'lxc-info-running-phys.txt' : 'lxc-info-stopped.txt') }))
    .on(['lxc-stop', '-n', 'sxt-c1', '-k'], () => {
      state.running = false;
      return {};
    })
    .on(['lxc-destroy', '-n', 'sxt-c1'], () => {
      host.files.delete(CONFIG);
      return {};
    })
    .on(['systemctl', 'is-enabled', 'lxc.service'], () => (state.lxcService ? { stdout: f('is-enabled-lxc-enabled.stdout') } : { code: 1, stdout: f('is-enabled-lxc-disabled.stdout') }))
    .on(['systemctl', 'disable', 'lxc.service'], () => {
      state.lxcService = false;
      return {};
    })
    .on((argv) => argv[0] === 'rm' && argv[2] === '--', (argv) => {
      host.files.delete(argv[3] as string);
      return {};
    });
  return host;
}

test('a running container is stopped and destroyed, the template restored, lxc.service disabled where sriov-lxc enabled it', async (t) => {
  const state = { running: true, lxcService: true };
  const host = node({ [CONFIG]: OURS, [TEMPLATE]: PATCHED, [`${TEMPLATE}.sriov-lxc.bak`]: ORIGINAL, [LXC_SERVICE_MARK]: 'x\n' }, state);
  host.on(['stat', '-c', '%a %u %g %F', '--', `${TEMPLATE}.sriov-lxc.bak`], { stdout: '644 0 0 regular file\n' });
  const ctx = context(host);
  t.like(await containersTeardownStage.check(ctx), {
    done: false,
    plan: ['stop and destroy sxt-c1 (RUNNING)', `restore ${TEMPLATE} from ${TEMPLATE}.sriov-lxc.bak (template patch centos7-slow-boot)`, `disable lxc.service, which container-create enabled; remove ${LXC_SERVICE_MARK}`],
  });
  await containersTeardownStage.apply(ctx);
  t.deepEqual(host.commands.filter((c) => /^(lxc-stop|lxc-destroy|systemctl disable)/.test(c)), ['lxc-stop -n sxt-c1 -k', 'lxc-destroy -n sxt-c1', 'systemctl disable lxc.service']);
  t.is(host.files.get(TEMPLATE)?.content, ORIGINAL);
  t.false(host.files.has(`${TEMPLATE}.sriov-lxc.bak`));
  t.false(host.files.has(LXC_SERVICE_MARK));
  t.deepEqual(await containersTeardownStage.verify(ctx), { kept: [] });
});

test('lxc.service enabled by its package (no mark) stays; a template changed since its patch is kept and named', async (t) => {
  const state = { running: false, lxcService: true };
  const changed = `${PATCHED}# local tuning\n`;
  const host = node({ [CONFIG]: OURS, [TEMPLATE]: changed, [`${TEMPLATE}.sriov-lxc.bak`]: ORIGINAL }, state);
  const ctx = context(host);
  t.like(await containersTeardownStage.check(ctx), { done: false, plan: ['destroy sxt-c1 (STOPPED)'] });
  await containersTeardownStage.apply(ctx);
  t.false(host.commands.some((c) => c.startsWith('lxc-stop') || c.startsWith('systemctl disable')));
  t.false(host.commands.some((c) => c.startsWith('rm ')), 'no mark, no creation record: nothing of them to remove');
  t.true(state.lxcService);
  t.is(host.files.get(TEMPLATE)?.content, changed);
  t.like(await containersTeardownStage.check(ctx), { done: true, outputs: { kept: [{ path: TEMPLATE, why: `changed since sriov-lxc wrote it: left in place (the original is in ${TEMPLATE}.sriov-lxc.bak)` }] } });
});

// Issue 21: teardown destroyed any container of the inventory's name, an operator's rootfs included.
test("an operator's container of the inventory's name is left in place and named; one taken with --adopt too", async (t) => {
  for (const [config, why] of [[OPERATORS, /^not created by sriov-lxc \(no mark in its config\): left in place$/], [`${ADOPTED_MARK}\n${f('lxc-config-configured.txt')}`, /^taken with --adopt.*lxc-destroy -n sxt-c1 removes it$/]] as const) {
    const state = { running: true, lxcService: false };
    const host = node({ [CONFIG]: config }, state);
    const ctx = context(host);
    const check = await containersTeardownStage.check(ctx);
    t.like(check, { done: true, reason: "sxt-c1: not sriov-lxc's, left in place" });
    t.regex((check.done && (check.outputs?.kept as { why: string }[])[0]?.why) || '', why);
    await containersTeardownStage.apply(ctx);
    t.false(host.commands.some((c) => /^lxc-(stop|destroy)/.test(c)));
    t.is(host.files.get(CONFIG)?.content, config);
    t.true(state.running);
  }
});

test('a container whose creation record is there (a run stopped before the mark) is ours: destroyed, the record removed', async (t) => {
  const state = { running: false, lxcService: false };
  const host = node({ [CONFIG]: f('lxc-config-busybox-created.txt'), [creationRecord('sxt-c1')]: 'x\n' }, state);
  const ctx = context(host);
  t.like(await containersTeardownStage.check(ctx), { done: false, plan: ['destroy sxt-c1 (STOPPED)', `remove ${creationRecord('sxt-c1')}`] });
  await containersTeardownStage.apply(ctx);
  t.true(host.commands.includes('lxc-destroy -n sxt-c1'));
  t.false(host.files.has(creationRecord('sxt-c1')));
  t.like(await containersTeardownStage.check(ctx), { done: true });
});

// Issue 21: teardown restored patched templates as 0644 root:root.
test('a restored template gets the mode and owner its backup kept', async (t) => {
  const state = { running: false, lxcService: false };
  const host = node({ [TEMPLATE]: PATCHED, [`${TEMPLATE}.sriov-lxc.bak`]: ORIGINAL }, state);
  host.on(['stat', '-c', '%a %u %g %F', '--', `${TEMPLATE}.sriov-lxc.bak`], { stdout: '750 0 1001 regular file\n' });
  host.on((argv) => argv[0] === 'chown', {});
  await containersTeardownStage.apply(context(host));
  t.is(host.files.get(TEMPLATE)?.content, ORIGINAL);
  t.is(host.files.get(TEMPLATE)?.mode, 0o750);
  t.true(host.commands.includes(`chown -h 0:1001 -- ${TEMPLATE}`));
  t.false(host.files.has(`${TEMPLATE}.sriov-lxc.bak`));
});

// The ownership decision case by case (the mutation run of tasks/teardown-containers.ts).
test('an adopted container whose creation record is still there is not ours: left in place, the record goes', async (t) => {
  const state = { running: true, lxcService: false };
  const adopted = `${ADOPTED_MARK}\n${f('lxc-config-configured.txt')}`;
  const host = node({ [CONFIG]: adopted, [creationRecord('sxt-c1')]: 'x\n' }, state);
  const ctx = context(host);
  const check = await containersTeardownStage.check(ctx);
  t.like(check, { done: false, plan: [`remove ${creationRecord('sxt-c1')}`] });
  await containersTeardownStage.apply(ctx);
  t.false(host.commands.some((c) => /^lxc-(stop|destroy)/.test(c)));
  t.is(host.files.get(CONFIG)?.content, adopted);
  t.false(host.files.has(creationRecord('sxt-c1')));
  t.deepEqual(await containersTeardownStage.verify(ctx), { kept: [{ path: 'container sxt-c1', why: 'taken with --adopt, not created by sriov-lxc: left in place (its config still names the VF); lxc-destroy -n sxt-c1 removes it' }] });
});

test('a creation record without its container (lxc-create failed): the record goes, nothing is destroyed', async (t) => {
  const host = node({ [creationRecord('sxt-c1')]: 'x\n' }, { running: false, lxcService: false });
  const ctx = context(host);
  t.like(await containersTeardownStage.check(ctx), { done: false, plan: [`remove ${creationRecord('sxt-c1')}`] });
  await containersTeardownStage.apply(ctx);
  t.false(host.commands.some((c) => /^lxc-(info|stop|destroy)/.test(c)));
  t.false(host.files.has(creationRecord('sxt-c1')));
  t.like(await containersTeardownStage.check(ctx), { done: true, reason: 'sxt-c1: not on the node', outputs: { kept: [] } });
});

test('done: the reason names what is gone and what is not sriov-lxc\'s', async (t) => {
  t.like(await containersTeardownStage.check(context(node({ [CONFIG]: OPERATORS }, { running: false, lxcService: false }))), { done: true, reason: "sxt-c1: not sriov-lxc's, left in place" });
  const none = { ...plan, containers: [] };
  const host = node({}, { running: false, lxcService: false });
  t.like(await containersTeardownStage.check({ ...context(host), plan: none }), { done: true, reason: 'no containers planned' });
  t.false(host.commands.some((c) => c.startsWith('lxc-config')), 'no containers: LXC is not asked where they live');
});

test('lxc.service container-create enabled but disabled since: only its mark goes', async (t) => {
  const state = { running: false, lxcService: false };
  const host = node({ [LXC_SERVICE_MARK]: 'x\n' }, state);
  const ctx = context(host);
  t.like(await containersTeardownStage.check(ctx), { done: false, plan: [`remove ${LXC_SERVICE_MARK}`] });
  await containersTeardownStage.apply(ctx);
  t.false(host.commands.some((c) => c.startsWith('systemctl disable')));
  t.false(host.files.has(LXC_SERVICE_MARK));
  t.like(await containersTeardownStage.check(ctx), { done: true });
});

test('an lxc-destroy that fails stops the stage naming the command; verify names what is left', async (t) => {
  const host = new FakeHost('node1', { [CONFIG]: OURS })
    .on(['lxc-config', 'lxc.lxcpath'], { stdout: f('lxc-config-lxcpath.txt') })
    .on(['lxc-info', '-n', 'sxt-c1'], { stdout: f('lxc-info-stopped.txt') })
    .on(['lxc-destroy', '-n', 'sxt-c1'], { code: 1, stderr: 'lxc-destroy: sxt-c1: Failed to destroy container\n' });
  const ctx = context(host);
  const e = await t.throwsAsync(containersTeardownStage.apply(ctx), { instanceOf: FatalError });
  t.regex(e!.message, /^lxc-destroy of sxt-c1 failed \(exit 1\): lxc-destroy: sxt-c1: Failed to destroy container/);
  const left = await t.throwsAsync(containersTeardownStage.verify(ctx), { instanceOf: FatalError });
  t.is(left!.message, 'node1: still to do after teardown: destroy sxt-c1 (STOPPED)');
  t.is(left!.hint, 'lxc-ls -f on the node; run teardown again');
});

test('a template whose backup did not need the patch is restored as it is (the backup goes)', async (t) => {
  // The backup is the original; if it holds the replacement already, container-create wrote it unchanged.
  const host = node({ [TEMPLATE]: PATCHED, [`${TEMPLATE}.sriov-lxc.bak`]: PATCHED }, { running: false, lxcService: false });
  host.on(['stat', '-c', '%a %u %g %F', '--', `${TEMPLATE}.sriov-lxc.bak`], { stdout: '644 0 0 regular file\n' });
  const ctx = context(host);
  t.like(await containersTeardownStage.check(ctx), { done: false, plan: [`restore ${TEMPLATE} from ${TEMPLATE}.sriov-lxc.bak (template patch centos7-slow-boot)`] });
  await containersTeardownStage.apply(ctx);
  t.is(host.files.get(TEMPLATE)?.content, PATCHED);
  t.false(host.files.has(`${TEMPLATE}.sriov-lxc.bak`));
});

test('lxc-stop and lxc-destroy get a time limit; a failure names the command and what to look at', async (t) => {
  const state = { running: true, lxcService: false };
  const host = node({ [CONFIG]: OURS }, state);
  await containersTeardownStage.apply(context(host));
  for (const line of ['lxc-stop -n sxt-c1 -k', 'lxc-destroy -n sxt-c1']) t.is(host.calls.find((c) => c.line === line)?.options?.timeoutMs, 60_000, line);
  const failing = new FakeHost('node1', { [CONFIG]: OURS })
    .on(['lxc-config', 'lxc.lxcpath'], { stdout: f('lxc-config-lxcpath.txt') })
    .on(['lxc-info', '-n', 'sxt-c1'], { stdout: f('lxc-info-running-phys.txt') })
    .on(['lxc-stop', '-n', 'sxt-c1', '-k'], { code: 1, stderr: 'lxc-stop: sxt-c1: Timed out\n' });
  const e = await t.throwsAsync(containersTeardownStage.apply(context(failing)), { instanceOf: FatalError });
  t.like(e, { command: 'lxc-stop -n sxt-c1 -k', code: 1, hint: 'lxc-info -n sxt-c1 on the node' });
  t.regex(e!.message, /^lxc-stop of sxt-c1 failed \(exit 1\): lxc-stop: sxt-c1: Timed out/);
});

test('done with two containers: the reason names the one gone and the one not ours; what is kept is logged', async (t) => {
  const two = { ...plan, containers: [plan.containers[0]!, { ...plan.containers[0]!, name: 'sxt-c2', templatePatches: [] }] };
  const host = node({ [CONFIG]: OPERATORS }, { running: false, lxcService: false });
  const lines: string[] = [];
  const ctx = { ...context(host), plan: two, log: (l: string) => lines.push(l) };
  t.like(await containersTeardownStage.check(ctx), { done: true, reason: "sxt-c2: not on the node; sxt-c1: not sriov-lxc's, left in place" });
  t.deepEqual(lines, ['container sxt-c1: not created by sriov-lxc (no mark in its config): left in place']);
});

test('the stage\'s inputs: the containers\' names and template patches (a change re-runs teardown)', (t) => {
  const inputs = containersTeardownStage.inputs(plan);
  t.deepEqual(inputs, { containers: [['sxt-c1', plan.containers[0]!.templatePatches]] });
  t.notDeepEqual(containersTeardownStage.inputs({ ...plan, containers: [{ ...plan.containers[0]!, name: 'other' }] }), inputs);
});

test('a template patched by container-create is restored from its backup: the original text back, the backup gone', async (t) => {
  // An LXC whose centos config still drops setfcap/setpcap (lxc/lxc#340): the patch was applied.
  const buggy = `${ORIGINAL}lxc.cap.drop = mac_admin mac_override setfcap setpcap\n`;
  const patched = `${ORIGINAL}lxc.cap.drop = mac_admin mac_override\n`;
  const host = node({ [TEMPLATE]: patched, [`${TEMPLATE}.sriov-lxc.bak`]: buggy }, { running: false, lxcService: false });
  host.on(['stat', '-c', '%a %u %g %F', '--', `${TEMPLATE}.sriov-lxc.bak`], { stdout: '644 0 0 regular file\n' });
  const ctx = context(host);
  t.like(await containersTeardownStage.check(ctx), { done: false, plan: [`restore ${TEMPLATE} from ${TEMPLATE}.sriov-lxc.bak (template patch centos7-slow-boot)`] });
  await containersTeardownStage.apply(ctx);
  t.is(host.files.get(TEMPLATE)?.content, buggy);
  t.false(host.files.has(`${TEMPLATE}.sriov-lxc.bak`));
});
