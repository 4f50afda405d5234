import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseLspci, findPciDevice, virtualFunctions, normalizePciAddress } from '../../../../node/parse/lspci.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../../fixtures/parse/${name}`, import.meta.url), 'utf8');

test('real lspci -Dnn of this VM (virtio, an unassigned class, a line without rev)', (t) => {
  const devices = parseLspci(fixture('lspci-Dnn-virtio-vm.txt'));
  t.is(devices.length, 6);
  t.deepEqual(devices[0], {
    address: '0000:00:00.0',
    className: 'Host bridge',
    classId: '0600',
    vendorId: '8086',
    deviceId: '0d57',
    description: 'Intel Corporation Device',
    rev: null,
    isVirtualFunction: false,
  });
  t.like(devices[1], { className: 'Unassigned class', classId: 'ffff', vendorId: '1af4', deviceId: '1045', rev: '01' });
  t.like(findPciDevice(devices, '00:03.0'), { className: 'Ethernet controller', description: 'Red Hat, Inc. Virtio 1.0 network device' });
  t.deepEqual(virtualFunctions(devices), []);
});

test("the paper's host: two 82599ES ports and 16 VFs (lspci output of a reconstructed config space)", (t) => {
  const devices = parseLspci(fixture('lspci-Dnn-82599-paper-host.txt'));
  const pf = findPciDevice(devices, '0000:04:00.0');
  t.like(pf, {
    classId: '0200',
    vendorId: '8086',
    deviceId: '10fb',
    description: 'Intel Corporation 82599ES 10-Gigabit SFI/SFP+ Network Connection',
    rev: '01',
    isVirtualFunction: false,
  });
  const vfs = virtualFunctions(devices, '04:00.0');
  t.is(vfs.length, 16, 'both ports share bus 04');
  t.true(vfs.every((d) => d.deviceId === '10ed' && d.description === 'Intel Corporation 82599 Ethernet Controller Virtual Function'));
  t.deepEqual(virtualFunctions(devices, '0000:01:00.0'), [], 'the I350 ports have none');
  t.false(findPciDevice(devices, '00:11.0')?.isVirtualFunction, '"Virtual Root Port" is no Virtual Function');
  t.like(findPciDevice(devices, '05:00.0'), { className: 'Non-Volatile memory controller', classId: '0108' });
});

test('-k detail lines are skipped', (t) => {
  const text = '0000:00:03.0 Ethernet controller [0200]: Red Hat, Inc. Virtio 1.0 network device [1af4:1041] (rev 01)\n\tSubsystem: Red Hat, Inc. Virtio 1.0 network device [1af4:1041]\n\tKernel driver in use: virtio-pci\n';
  t.is(parseLspci(text).length, 1);
});

test('plain lspci (no -nn) is refused with the fix', (t) => {
  t.throws(() => parseLspci(fixture('lspci-82599-paper-host.txt')), { message: /unexpected lspci line: 00:00\.0 Host bridge/ });
  const error = t.throws(() => parseLspci('04:00.0 Ethernet controller: Intel Corporation 82599ES (rev 01)\n'));
  t.regex((error as { hint?: string }).hint ?? '', /lspci -Dnn/);
});

test('addresses without domain are normalised', (t) => {
  t.is(normalizePciAddress('04:10.1'), '0000:04:10.1');
  t.is(normalizePciAddress('0000:04:10.1'), '0000:04:10.1');
  t.is(normalizePciAddress(' 0000:AF:00.0 '), '0000:af:00.0');
});
