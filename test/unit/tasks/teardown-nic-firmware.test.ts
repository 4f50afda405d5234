// Issue 21: teardown left the ConnectX firmware settings (SRIOV_EN, NUM_OF_VFS) as nic-firmware set
// them. nic-firmware records what it read before its first `mstconfig set`; teardown puts that back,
// or names the device with the command when the settings changed since. The node answers mstconfig
// with mstflint 4.x's query output (test/fixtures/mstconfig/README.md), the values set per state.
import test from 'ava';
import { nicFirmwareStage } from '../../../tasks/nic-firmware.ts';
import { nicFirmwareTeardownStage } from '../../../tasks/teardown-nic-firmware.ts';
import { FIRMWARE_FOUND } from '../../../node/facts/firmware.ts';
import type { StageContext } from '../../../engine/stage.ts';
import { parseInventory } from '../../../inventory/load.ts';
import { FakeHost, fixture } from '../../helpers/fake-host.ts';

const PCI = '0000:3b:00.0';
const plan = parseInventory(`
hosts:
  node1:
    address: 127.0.0.1
    nic: cx5
    pfs:
      - { name: enp59s0f0, vfs: 4 }
`, '/tmp/inventory.yaml').hosts[0]!;

const context = (host: FakeHost): StageContext & { logs: string[] } => {
  const logs: string[] = [];
  return { host, plan, outputs: {}, log: (m) => logs.push(m), signal: new AbortController().signal, runId: 'r1', stateDir: '/tmp/state', logs };
};

const query = (sriovEn: number, numVfs: number) =>
  fixture('mstconfig/cx5-query-sriov-off.txt')
    .replace(/NUM_OF_VFS( +)0 /, `NUM_OF_VFS$1${numVfs} `)
    .replace(/SRIOV_EN( +)False\(0\)/, `SRIOV_EN$1${sriovEn === 1 ? 'True(1)' : 'False(0)'} `);

/** A ConnectX-5 node whose firmware holds `fw` for the next boot; `mstconfig set` changes it. */
function node(fw: { sriovEn: number; numVfs: number }, files: Record<string, string> = {}): FakeHost {
  const host = new FakeHost('node1', files);
  host
    .on(['readlink', '/sys/class/net/enp59s0f0/device'], { stdout: `../../../${PCI}\n` })
    .on(['mstconfig', '-d', PCI, 'query', 'SRIOV_EN', 'NUM_OF_VFS'], () => ({ stdout: query(fw.sriovEn, fw.numVfs) }))
    .on((argv) => argv[0] === 'mstconfig' && argv[4] === 'set', (argv) => {
      fw.sriovEn = Number(/SRIOV_EN=(\d+)/.exec(argv.join(' '))![1]);
      fw.numVfs = Number(/NUM_OF_VFS=(\d+)/.exec(argv.join(' '))![1]);
      return {};
    })
    .on(['mkdir', '-p', '-m', '0700', '/var/lib/sriov-lxc'], {})
    .on((argv) => argv[0] === 'rm' && argv[2] === '--', (argv) => {
      host.files.delete(argv[3] as string);
      return {};
    });
  return host;
}

test('provisioned then torn down: the firmware gets back what nic-firmware found, and the record goes', async (t) => {
  const fw = { sriovEn: 0, numVfs: 0 };
  const host = node(fw);
  await nicFirmwareStage.apply(context(host));
  t.deepEqual(fw, { sriovEn: 1, numVfs: 4 });
  const recordedAt = host.calls.findIndex((c) => c.kind === 'writeFile' && c.path === FIRMWARE_FOUND);
  t.true(recordedAt >= 0 && recordedAt < host.calls.findIndex((c) => c.kind === 'exec' && c.line?.includes(' set ') === true), 'recorded before the set');
  t.deepEqual(JSON.parse(host.files.get(FIRMWARE_FOUND)!.content), [{ pci: PCI, pf: 'enp59s0f0', sriovEn: 0, numVfs: 0 }]);
  t.is(host.files.get(FIRMWARE_FOUND)!.directoryMode, 0o700, 'in the private state directory, made by the write when missing');
  await nicFirmwareStage.apply(context(host));
  t.deepEqual(JSON.parse(host.files.get(FIRMWARE_FOUND)!.content), [{ pci: PCI, pf: 'enp59s0f0', sriovEn: 0, numVfs: 0 }], 'the first look counts');

  const ctx = context(host);
  t.deepEqual(await nicFirmwareTeardownStage.check(ctx), {
    done: false,
    plan: [`${PCI} (enp59s0f0): SRIOV_EN=0 NUM_OF_VFS=0 at the next boot → mstconfig -y -d ${PCI} set SRIOV_EN=0 NUM_OF_VFS=0`, `remove ${FIRMWARE_FOUND} (the settings before provisioning)`],
  });
  await nicFirmwareTeardownStage.apply(ctx);
  t.deepEqual(fw, { sriovEn: 0, numVfs: 0 });
  t.false(host.files.has(FIRMWARE_FOUND));
  t.deepEqual(await nicFirmwareTeardownStage.verify(ctx), { kept: [] });
  t.like(await nicFirmwareTeardownStage.check(ctx), { done: true, reason: 'no NIC firmware setting of sriov-lxc on this node' });
});

test('settings changed since sriov-lxc set them are left, named with the exact command; the record stays', async (t) => {
  const fw = { sriovEn: 1, numVfs: 8 };
  const host = node(fw, { [FIRMWARE_FOUND]: JSON.stringify([{ pci: PCI, pf: 'enp59s0f0', sriovEn: 0, numVfs: 0 }]) });
  const ctx = context(host);
  const check = await nicFirmwareTeardownStage.check(ctx);
  t.like(check, { done: true });
  t.deepEqual(check.done && check.outputs, { kept: [{ path: `${PCI} (enp59s0f0)`, why: `firmware SRIOV_EN=1 NUM_OF_VFS=8: changed since sriov-lxc set it: left as it is; to put back SRIOV_EN=0 NUM_OF_VFS=0: mstconfig -y -d ${PCI} set SRIOV_EN=0 NUM_OF_VFS=0` }] });
  await nicFirmwareTeardownStage.apply(ctx);
  t.deepEqual(fw, { sriovEn: 1, numVfs: 8 });
  t.true(host.files.has(FIRMWARE_FOUND));
});

test('no record (the firmware already allowed the VFs, or nothing was set): nothing to do', async (t) => {
  const host = node({ sriovEn: 1, numVfs: 4 });
  t.like(await nicFirmwareTeardownStage.check(context(host)), { done: true, reason: 'no NIC firmware setting of sriov-lxc on this node' });
  t.false(host.commands.some((c) => c.startsWith('mstconfig')));
});
