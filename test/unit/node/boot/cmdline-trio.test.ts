// What the trio reads back of the arm step's record (a checkpoint's JSON, so any shape): the armed
// trial the reboot stage names and diagnoses, and the edit that stands in for the params file.
import test from 'ava';
import { armedTrial, recordedEdit } from '../../../../node/boot/cmdline-trio.ts';

// The arm step's verify outputs for an armed trial (the Debian node of tasks/cmdline-trial.test.ts).
const ARMED = {
  method: 'trial',
  phase: 'armed',
  grubCfg: '/boot/grub/grub.cfg',
  grubenv: '/boot/grub/grubenv',
  trialEntry: 'sriov-lxc trial: Debian GNU/Linux',
  params: 'root=/dev/vda1 ro  quiet intel_iommu=off panic=10',
  fallbackEntry: 'Debian GNU/Linux',
  fallbackParams: 'root=/dev/vda1 ro  quiet',
  bootMethod: 'grub-defaults',
  how: 'edit',
  add: ['intel_iommu=off'],
  remove: ['iommu=pt'],
};

test('an armed trial: the entries and grubenv it names', (t) => {
  t.deepEqual(armedTrial(ARMED), { trialEntry: 'sriov-lxc trial: Debian GNU/Linux', params: 'root=/dev/vda1 ro  quiet intel_iommu=off panic=10', fallbackEntry: 'Debian GNU/Linux', grubenv: '/boot/grub/grubenv' });
});

test('no armed trial: nothing recorded, a commit without trial, a trial already booted, a record missing a field', (t) => {
  t.is(armedTrial(undefined), undefined);
  t.is(armedTrial({ ...ARMED, method: 'default' }), undefined);
  t.is(armedTrial({ ...ARMED, phase: 'booted' }), undefined);
  for (const field of ['trialEntry', 'params', 'fallbackEntry', 'grubenv'] as const) {
    t.is(armedTrial({ ...ARMED, [field]: undefined }), undefined, `${field} missing`);
    t.is(armedTrial({ ...ARMED, [field]: 1 }), undefined, `${field} not a string`);
  }
});

test('the recorded edit: both lists, strings only; none unless both are lists', (t) => {
  t.deepEqual(recordedEdit(ARMED), { add: ['intel_iommu=off'], remove: ['iommu=pt'] });
  t.deepEqual(recordedEdit({ add: [], remove: ['a=1', 2, null, 'b'] }), { add: [], remove: ['a=1', 'b'] });
  t.deepEqual(recordedEdit({ add: ['a', {}], remove: [] }), { add: ['a'], remove: [] });
  t.is(recordedEdit(undefined), undefined);
  t.is(recordedEdit({ add: ['a'] }), undefined);
  t.is(recordedEdit({ remove: ['a'] }), undefined);
  t.is(recordedEdit({ add: 'a', remove: [] }), undefined);
  t.is(recordedEdit({ add: [], remove: 'a' }), undefined);
});
