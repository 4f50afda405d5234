import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { macScript, macUnit } from '../../../node/vfs/mac-boot-files.ts';
import { macResetStage } from '../../../tasks/mac-reset.ts';
import type { StageContext } from '../../../engine/stage.ts';
import { FatalError, NotReadyError } from '../../../core/errors.ts';
import { loadInventory } from '../../../inventory/load.ts';
import { fixture, type FakeHost } from '../../helpers/fake-host.ts';
import { BatchingFakeHost } from '../../helpers/batching-fake-host.ts';
import { answerIproute } from '../../helpers/iproute.ts';

// The paper's node and its MACs (inventory.example.yaml); the PF's VF table is the synthesised
// `ip -j link show` of test/fixtures/parse, other outputs are in test/fixtures/stages/mac/README.md.
const f = (name: string) => fixture(`stages/mac/${name}`);
const plan = loadInventory(fileURLToPath(new URL('../../../inventory.example.yaml', import.meta.url))).hosts[0]!;
const SCRIPT = '/usr/local/sbin/sriov-lxc-vf-macs';
const UNIT = '/etc/systemd/system/sriov-lxc-vf-macs.service';
const RANDOM = '6a:1f:0e:33:42:d1';

const VF_OUTPUTS = {
  'vf-verify': {
    iproute: { version: '6.1.0', json: true },
    pfs: plan.pfs.map((pf, p) => ({
      name: pf.name,
      pci: `0000:04:00.${p}`,
      // VF 0 of the first PF is in the host namespace as enp4s16; the others are in containers.
      vfs: pf.macs.map((mac, index) => ({ index, netdev: p === 0 && index === 0 ? 'enp4s16' : null, pci: `0000:04:1${index >> 2}.${index}`, mac })),
    })),
  },
};

function context(host: FakeHost, outputs: StageContext['outputs'] = VF_OUTPUTS): StageContext {
  return { host, plan, outputs, log: () => {}, signal: new AbortController().signal, runId: 'r1', stateDir: '/tmp/state' };
}

/** `ip -j link show` of the paper node with the VF MACs the `macs` function gives (PF side and enp4s16). */
function ipLink(macs: (pf: string, vf: number, planned: string) => string): string {
  const links = JSON.parse(fixture('parse/ip-j-link-pf-vfinfo.json')) as { ifname: string; address: string; vfinfo_list?: { vf: number; address: string }[] }[];
  for (const link of links) {
    for (const vf of link.vfinfo_list ?? []) vf.address = macs(link.ifname, vf.vf, vf.address);
    if (link.ifname === 'enp4s16') link.address = macs('enp4s16', 0, link.address);
  }
  return JSON.stringify(links);
}

interface NodeState {
  /** PF, VF → MAC now; the plan's when absent. */
  macs: Map<string, string>;
  enabled: boolean;
}

/** `first` adds rules that take precedence over the node's usual answers. */
function node(state: NodeState, files: Record<string, string> = {}, first: (host: FakeHost) => void = () => {}): FakeHost {
  const host = new BatchingFakeHost('p01001534852033', files);
  answerIproute(host);
  first(host);
  host
    .on(['ip', '-j', 'link', 'show'], () => ({ stdout: ipLink((pf, vf, planned) => state.macs.get(`${pf}/${vf}`) ?? planned) }))
    .on(['systemctl', 'is-enabled', 'sriov-lxc-vf-macs.service'], () =>
      state.enabled ? { stdout: f('is-enabled-enabled.stdout') } : host.files.has(UNIT) ? { code: 1, stdout: f('is-enabled-disabled.stdout') } : { code: 1, stderr: f('is-enabled-missing.stderr') })
    .on(['systemctl', 'enable', 'sriov-lxc-vf-macs.service'], () => {
      state.enabled = true;
      return {};
    })
    .on((argv) => argv[0] === 'ip' && argv[2] === 'set' && argv.includes('mac'), (argv) => {
      state.macs.delete(`${argv[4]}/${argv[6]}`);
      return {};
    })
    .on(['ip', 'link', 'set', 'dev', 'enp4s16', 'address', 'd6:d6:d6:54:f9:f8'], () => {
      state.macs.delete('enp4s16/0');
      return {};
    });
  return host;
}

const installed = () => ({ [SCRIPT]: macScript(plan.name, plan.pfs), [UNIT]: macUnit() });

test('a node with the planned MACs and the unit installed and enabled is done', async (t) => {
  const host = node({ macs: new Map(), enabled: true }, installed());
  const check = await macResetStage.check(context(host));
  t.like(check, { done: true, reason: 'all 16 VF MACs as planned; sriov-lxc-vf-macs.service installed and enabled' });
  const outputs = await macResetStage.verify(context(host));
  t.deepEqual(outputs, { macs: plan.pfs.flatMap((pf) => pf.macs.map((mac, vf) => ({ pf: pf.name, vf, mac }))) });
  t.deepEqual(check.done && check.outputs, outputs, 'check gives the outputs verify gives');
});

test('random MACs after a driver load: every VF set from its PF and awaited, the host-side netdev too; then done', async (t) => {
  const macs = new Map([['enp4s0f0/0', RANDOM], ['enp4s16/0', RANDOM], ['enp4s0f1/7', '02:11:22:33:44:55']]);
  const host = node({ macs, enabled: false });
  const ctx = context(host);
  const check = await macResetStage.check(ctx);
  t.like(check, {
    done: false,
    plan: [
      `enp4s0f0 VF 0: ${RANDOM} → d6:d6:d6:54:f9:f8; enp4s16 (VF 0 of enp4s0f0) address ${RANDOM} → d6:d6:d6:54:f9:f8`,
      'enp4s0f1 VF 7: 02:11:22:33:44:55 → 0a:93:df:2e:62:2b',
      `write ${SCRIPT}`,
      `write ${UNIT}`,
      'enable sriov-lxc-vf-macs.service (re-applies the MACs at every boot)',
    ],
  });
  if (!check.done) t.deepEqual(check.diffs?.map((d) => d.path), [SCRIPT, UNIT]);
  await macResetStage.apply(ctx);
  t.deepEqual(host.commands.filter((c) => !/ -j |is-enabled/.test(c)), [
    'systemctl enable sriov-lxc-vf-macs.service',
    'ip link set dev enp4s0f0 vf 0 mac d6:d6:d6:54:f9:f8',
    'ip link set dev enp4s16 address d6:d6:d6:54:f9:f8',
    'ip link set dev enp4s0f1 vf 7 mac 0a:93:df:2e:62:2b',
  ]);
  t.deepEqual((host as BatchingFakeHost).batches.at(-1), [
    'ip link set dev enp4s0f0 vf 0 mac d6:d6:d6:54:f9:f8',
    'ip link set dev enp4s16 address d6:d6:d6:54:f9:f8',
    'ip link set dev enp4s0f1 vf 7 mac 0a:93:df:2e:62:2b',
  ], 'the MACs in one round trip');
  t.deepEqual(host.files.get(SCRIPT), { content: macScript(plan.name, plan.pfs), mode: 0o755 });
  t.like(await macResetStage.check(ctx), { done: true });
});

test('a failing VF command does not hide the others: all run, every failure reported', async (t) => {
  const host = node({ macs: new Map([['enp4s0f0/1', RANDOM], ['enp4s0f0/2', RANDOM]]), enabled: true }, installed(), (h) =>
    h.on(['ip', 'link', 'set', 'dev', 'enp4s0f0', 'vf', '1', 'mac', 'ee:2b:1d:e6:f7:aa'], { code: 2, stderr: f('ip-link-set-vf-veth.stderr') }));
  const error = await t.throwsAsync(macResetStage.apply(context(host)), { instanceOf: FatalError });
  t.is(error?.message, 'setting VF MACs failed on p01001534852033:\n  ip link set dev enp4s0f0 vf 1 mac ee:2b:1d:e6:f7:aa: exit 2: RTNETLINK answers: Operation not supported');
  t.true(host.commands.includes('ip link set dev enp4s0f0 vf 2 mac 1e:99:1e:f0:bb:64'), 'the next VF was still set');
});

test('verify: a MAC not applied yet is not ready; without vf-verify outputs it says which stage to run', async (t) => {
  const host = node({ macs: new Map([['enp4s16/0', RANDOM]]), enabled: true }, installed());
  await t.throwsAsync(macResetStage.verify(context(host)), { instanceOf: NotReadyError, message: `VF MACs not as planned yet: enp4s16 (VF 0 of enp4s0f0) address ${RANDOM} → d6:d6:d6:54:f9:f8` });
  await t.throwsAsync(macResetStage.verify(context(host, {})), { instanceOf: FatalError, message: /outputs of vf-verify are missing/ });
});

test('the boot script quotes every value from the plan', (t) => {
  const script = macScript("node'1", [{ name: 'enp4s0f0', vfs: 1, vfCreation: 'max_vfs', vfCreationSetting: 'auto', vfSettings: [{}], macs: ['02:00:00:00:00:01'], autoMacs: false }]);
  t.regex(script, /^set -eu$/m);
  t.regex(script, /^if wait_for_vfs enp4s0f0 1; then\n {2}set_mac enp4s0f0 0 02:00:00:00:00:01\nelse/m);
  t.regex(script, /# Generated by sriov-lxc for node'1:/);
  t.notThrows(() => execFileSync('sh', ['-n'], { input: script }));
});

// Runs the generated script for real: a sysfs-shaped tree on /sys (private mount namespace, root)
// and a fake `ip` that records its arguments and refuses VF 1 of enp4s0f1.
test('lab: the boot script sets every VF and its host netdev, reports a failure and exits 1', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sriov-lxc-macs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pfs = plan.pfs.map((pf) => ({ ...pf, vfs: 2, macs: pf.macs.slice(0, 2) }));
  writeFileSync(join(dir, 'script'), macScript(plan.name, pfs), { mode: 0o755 });
  writeFileSync(join(dir, 'ip'), '#!/bin/sh\necho "$*" >> "$IP_LOG"\n[ "$4" = enp4s0f1 ] && [ "$6" = 1 ] && { echo "RTNETLINK answers: Invalid argument" >&2; exit 2; }\nexit 0\n');
  chmodSync(join(dir, 'ip'), 0o755);
  const mkfakesys = fileURLToPath(new URL('../../fixtures/stages/vf/mkfakesys.sh', import.meta.url));
  execFileSync('sh', [mkfakesys, join(dir, 'sys'), '2'], { env: { ...process.env, HELD: 'enp4s0f0:1' } });
  let code = 0;
  let stderr = '';
  try {
    execFileSync('unshare', ['-m', 'sh', '-c', 'mount --bind "$1" /sys && exec "$2"', 'sh', join(dir, 'sys'), join(dir, 'script')], {
      env: { PATH: `${dir}:/usr/sbin:/usr/bin:/sbin:/bin`, IP_LOG: join(dir, 'log') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (error) {
    code = (error as { status: number }).status;
    stderr = String((error as { stderr: Buffer }).stderr);
  }
  t.is(code, 1);
  t.is(stderr, 'RTNETLINK answers: Invalid argument\nsriov-lxc-vf-macs: could not set the MAC of VF 1 of enp4s0f1 to ca:fa:89:58:95:92\n');
  t.deepEqual(readFileSync(join(dir, 'log'), 'utf8').trim().split('\n'), [
    'link set dev enp4s0f0 vf 0 mac d6:d6:d6:54:f9:f8',
    'link set dev enp4s16 address d6:d6:d6:54:f9:f8',
    'link set dev enp4s0f0 vf 1 mac ee:2b:1d:e6:f7:aa',
    'link set dev enp4s0f1 vf 0 mac 7a:e7:81:9c:43:38',
    'link set dev enp4s16f1 address 7a:e7:81:9c:43:38',
    'link set dev enp4s0f1 vf 1 mac ca:fa:89:58:95:92',
  ]);
});
