// The judgements on a node's boot configuration (node/boot/grub-state.ts), one condition at a
// time: each configuration below differs from a committed (or armed) one in exactly one respect,
// so every clause of isCommitted and isTrialArmed is shown to matter on its own.
import test from 'ava';
import { FatalError } from '../../../../core/errors.ts';
import type { BootEntry } from '../../../../node/boot/boot-entry.ts';
import {
  committedError, describeGoal, entryShortfall, goalOf, goalShortfall, isCommitted, isTrialArmed, isTrialEntry, runningCmdline, trialFileLeftovers,
} from '../../../../node/boot/grub-state.ts';
import type { BootConfig, BootMethod } from '../../../../node/boot/method.ts';
import { FakeHost } from '../../../helpers/fake-host.ts';

const ADD = ['intel_iommu=on', 'hugepages=1024'];
const REMOVE = ['iommu=pt'];

function entry(id: string, params: string, chosenBy = 'GRUB_DEFAULT=0'): BootEntry {
  return { entry: { title: `title of ${id}`, id, index: 0, submenus: [], kernel: '/vmlinuz', params }, chosenBy };
}

const edited = entry('gnulinux-simple', 'ro quiet intel_iommu=on hugepages=1024');
const unedited = entry('gnulinux-simple', 'ro quiet');
const trial = entry('sriov-lxc-trial', 'ro quiet intel_iommu=on hugepages=1024 panic=10', 'next_entry=sriov-lxc-trial (one-shot) in grubenv');

function config(over: Partial<BootConfig> = {}, direction: BootConfig['direction'] = 'add'): BootConfig {
  return {
    method: { name: 'grub-defaults', covers: 'the generated entries', trialPath: '/etc/grub.d/99_sriov-lxc-trial', regenerates: true } as BootMethod,
    direction,
    commands: { mkconfig: ['update-grub'], reboot: 'grub-reboot', editenv: 'grub-editenv', setDefault: 'grub-set-default', grubenvPath: '/boot/grub/grubenv', grubCfgPath: '/boot/grub/grub.cfg' },
    params: { path: '/etc/default/grub', current: 'NEW', target: 'NEW', edit: { add: ADD, remove: REMOVE }, how: 'edit', notes: [] },
    cfg: '',
    grubenvText: '',
    env: {},
    entries: { entries: [], next: edited, standing: edited },
    trialScript: undefined,
    entriesShortfall: undefined,
    ...over,
  };
}

test('goal: provisioning asks the params on and nothing off; teardown also asks its params off', (t) => {
  t.deepEqual(goalOf(config()), { add: ADD, remove: [] });
  t.deepEqual(goalOf(config({}, 'remove')), { add: ADD, remove: REMOVE });
});

test('shortfall: what is missing, what conflicts (with what the node has), what is still there; none when it fits', (t) => {
  const goal = { add: ['intel_iommu=on', 'hugepages=1024'], remove: ['iommu=pt', 'ixgbe.max_vfs'] };
  t.is(goalShortfall('ro intel_iommu=on hugepages=1024', goal), undefined);
  t.is(goalShortfall('ro intel_iommu=off', goal), 'lacks hugepages=1024 intel_iommu=on (has intel_iommu=off)');
  t.is(goalShortfall('ro intel_iommu=on hugepages=1024 iommu=pt ixgbe.max_vfs=8', goal), 'still has iommu=pt ixgbe.max_vfs');
  t.is(goalShortfall('ro iommu=pt', { add: ['hugepages=1024'], remove: ['iommu=pt'] }), 'lacks hugepages=1024, still has iommu=pt');
});

test('the goal in words', (t) => {
  t.is(describeGoal({ add: ['a=1', 'b'], remove: [] }), 'with a=1 b');
  t.is(describeGoal({ add: [], remove: ['c'] }), 'without c');
  t.is(describeGoal({ add: ['a=1'], remove: ['c', 'd'] }), 'with a=1, without c d');
  t.is(describeGoal({ add: [], remove: [] }), 'as it is');
});

test('the trial entry is told by its id alone', (t) => {
  t.true(isTrialEntry(trial));
  t.false(isTrialEntry(edited));
  t.false(isTrialEntry(undefined));
  t.false(isTrialEntry(entry('sriov-lxc-trial-old', '')));
});

test('an entry\'s shortfall names the entry, how it was chosen and what it lacks; no grub.cfg is named too', (t) => {
  t.is(entryShortfall(config(), edited, 'default boot entry'), undefined);
  t.is(entryShortfall(config(), unedited, 'default boot entry'), 'the default boot entry "title of gnulinux-simple" (GRUB_DEFAULT=0) lacks intel_iommu=on hugepages=1024');
  t.is(entryShortfall(config(), undefined, 'next boot entry'), 'there is no /boot/grub/grub.cfg');
  // An entry without params lacks them all.
  const bare: BootEntry = { entry: { ...edited.entry, params: null }, chosenBy: 'x' };
  t.regex(entryShortfall(config(), bare, 'next boot entry') ?? '', /lacks intel_iommu=on hugepages=1024$/);
  // Teardown's goal: the params off as well.
  t.regex(entryShortfall(config({}, 'remove'), entry('e', 'ro intel_iommu=on hugepages=1024 iommu=pt'), 'default boot entry') ?? '', /still has iommu=pt$/);
});

test('committed: the params file as planned, the default and the next entry boot the edit, no trial default, every entry fits; each missing on its own is not', (t) => {
  t.true(isCommitted(config()));
  t.false(isCommitted(config({ params: { ...config().params, current: 'OLD' } })), 'the params file differs from its target');
  t.false(isCommitted(config({ entries: { entries: [], next: trial, standing: trial } })), 'the default is the trial entry');
  t.false(isCommitted(config({ entries: { entries: [], next: edited, standing: unedited } })), 'the default entry lacks the params');
  t.false(isCommitted(config({ entries: { entries: [], next: unedited, standing: edited } })), 'the next entry lacks the params');
  t.false(isCommitted(config({ entries: { entries: [], next: edited, standing: undefined } })), 'no default entry');
  t.false(isCommitted(config({ entries: { entries: [], next: undefined, standing: edited } })), 'no next entry');
  t.false(isCommitted(config({ entriesShortfall: 'the entry "rescue" lacks intel_iommu=on' })), 'an entry does not boot the edit');
  // A pending one-shot to the trial, with everything else committed: the next boot still runs
  // the trial entry, which has the params; committed is about the files and the entries.
  t.true(isCommitted(config({ entries: { entries: [], next: trial, standing: edited } })));
});

test('armed: the next boot, and only that one, starts the trial entry, which has the edit', (t) => {
  const armed = { entries: [], next: trial, standing: unedited };
  t.true(isTrialArmed(config({ entries: armed })));
  t.false(isTrialArmed(config()), 'the next boot is the default');
  t.false(isTrialArmed(config({ entries: { ...armed, standing: trial } })), 'the trial is the default too: every boot would start it');
  t.false(isTrialArmed(config({ entries: { ...armed, next: entry('sriov-lxc-trial', 'ro quiet') } })), 'the trial entry lacks the params');
  t.false(isTrialArmed(config({ entries: { ...armed, next: undefined } })));
});

test('a trial\'s leftovers: its file, and a one-shot naming it', (t) => {
  t.deepEqual(trialFileLeftovers(config()), []);
  t.deepEqual(trialFileLeftovers(config({ trialScript: '' })), ['remove /etc/grub.d/99_sriov-lxc-trial'], 'an empty file is still a file');
  t.deepEqual(trialFileLeftovers(config({ env: { next_entry: 'sriov-lxc-trial' } })), ['clear next_entry=sriov-lxc-trial in /boot/grub/grubenv']);
  t.deepEqual(trialFileLeftovers(config({ env: { next_entry: 'other' } })), [], 'a one-shot the operator set is not ours');
  t.deepEqual(trialFileLeftovers(config({ trialScript: 'x', env: { next_entry: 'sriov-lxc-trial' } })).length, 2);
});

test('the running cmdline is /proc/cmdline trimmed; none read is empty', async (t) => {
  const host = new FakeHost('n1');
  t.is(await runningCmdline(host), '');
  host.files.set('/proc/cmdline', { content: 'ro quiet intel_iommu=on\n', mode: 0o444 });
  t.is(await runningCmdline(host), 'ro quiet intel_iommu=on');
});

test('why a commit did not take: the params file, a trial default, an entry, or the default entry, in that order', (t) => {
  const host = new FakeHost('n1');
  const hints: string[] = [];
  const message = (c: BootConfig): string => {
    const e = committedError(host, c);
    t.true(e instanceof FatalError);
    hints.push(e.hint ?? '');
    return e.message;
  };
  t.is(message(config({ params: { ...config().params, current: 'OLD' } })), 'n1: /etc/default/grub does not have the planned params after writing it');
  t.is(message(config({ params: { ...config().params, current: 'OLD' } }, 'remove')), 'n1: /etc/default/grub does not have the params teardown leaves after writing it');
  t.regex(message(config({ entries: { entries: [], next: trial, standing: trial }, entriesShortfall: 'x' })), /^n1: the default boot entry is the trial entry sriov-lxc-trial \(next_entry=sriov-lxc-trial/);
  t.is(message(config({ entriesShortfall: 'the entry "rescue" lacks a' })), 'n1: after the commit, the entry "rescue" lacks a');
  const bls = config({ entriesShortfall: 'the entry "rescue" lacks a' });
  t.is(message({ ...bls, method: { ...bls.method, name: 'bls', covers: 'every boot entry' } }), 'n1: after grubby --update-kernel=ALL, the entry "rescue" lacks a');
  // EL8's method covers every entry too, but commits with grub2-editenv, never grubby.
  t.is(message({ ...bls, method: { ...bls.method, name: 'bls-kernelopts', covers: 'every boot entry' } }), 'n1: after the commit, the entry "rescue" lacks a');
  t.regex(message(config({ entries: { entries: [], next: unedited, standing: unedited } })), /^n1: after update-grub, the default boot entry "title of gnulinux-simple" \(GRUB_DEFAULT=0\) lacks/);
  t.regex(message(config({ entries: { entries: [], next: unedited, standing: edited } })), /^n1: after update-grub, the next boot entry /);
  t.is(message(config()), 'n1: after update-grub, no boot entry');
  // Each with the way out.
  t.deepEqual(hints.map((h) => /configuration management|saved_entry|grubby --info=ALL|hand-written/.exec(h)?.[0]), [
    'configuration management', 'configuration management', 'saved_entry', 'grubby --info=ALL', 'grubby --info=ALL', 'grubby --info=ALL', 'hand-written', 'hand-written', 'hand-written',
  ]);
});
