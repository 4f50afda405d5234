import test from 'ava';
import { HELP, matchesGlob, parseProvisionArgs, resumeArgs } from '../../../cli/provision-args.ts';
import { decide, validateSelection } from '../../../engine/select.ts';
import { UsageError } from '../../../core/errors.ts';

test('defaults', (t) => {
  const a = parseProvisionArgs([]);
  t.is(a.inventory, 'inventory.yaml');
  t.deepEqual(a.hosts, []);
  t.is(a.concurrency, 8);
  t.is(a.rebootBudget, 2);
  t.false(a.dryRun);
});

test('hosts from --host (repeated or a list) and --hosts', (t) => {
  t.deepEqual(parseProvisionArgs(['--host', 'a', '--host', 'b,c', '--hosts', 'd']).hosts, ['a', 'b', 'c', 'd']);
});

test('--reset takes an optional stage', (t) => {
  t.deepEqual(parseProvisionArgs(['--reset']).reset, ['*']);
  t.deepEqual(parseProvisionArgs(['--reset', '--host', 'a']).reset, ['*']);
  t.deepEqual(parseProvisionArgs(['--reset', 'reboot']).reset, ['reboot']);
  t.is(parseProvisionArgs(['--host', 'a']).reset, undefined);
});

test('a resumed on-node run keeps the stages, profile and limits, not --reset or --retry-failed', (t) => {
  const a = parseProvisionArgs(['--local', '--host', 'n1', '--only', 'reboot,vf-verify', '--bench-profile', 'quick', '--reset', '--retry-failed', '--reboot-budget', '3']);
  t.deepEqual(resumeArgs(a), ['--only', 'reboot,vf-verify', '--bench-profile', 'quick', '--reboot-timeout', '600', '--reboot-budget', '3']);
  t.deepEqual(parseProvisionArgs(resumeArgs(a)).only, ['reboot', 'vf-verify']);
  t.true(parseProvisionArgs(resumeArgs(parseProvisionArgs(['--local', '--allow-vf-resize']))).allowVfResize, '--allow-vf-resize survives the reboot');
});

test('--retry-failed with --only narrows the retried stages', (t) => {
  const a = parseProvisionArgs(['--retry-failed', '--only', 'driver-build,reboot']);
  t.true(a.retryFailed);
  t.deepEqual(a.only, ['driver-build', 'reboot']);
});

test('--only takes a list', (t) => {
  t.deepEqual(parseProvisionArgs(['--only', 'bios-verify,reboot']).only, ['bios-verify', 'reboot']);
});

const refused: [string, string[], RegExp][] = [
  ['unknown flag', ['--colour'], /Unknown option '--colour'/],
  ['bad concurrency', ['--concurrency', '0'], /--concurrency "0": expected a whole number from 1/],
  ['bad renderer', ['--renderer', 'fancy'], /--renderer "fancy": expected default, simple or verbose/],
  ['bad bench profile', ['--bench-profile', 'fast'], /expected standard, paper or quick/],
  ['retry-failed with from', ['--retry-failed', '--from', 'reboot'], /cannot be combined with --from/],
  ['bad percentage', ['--max-fail-percent', '150'], /expected a percentage/],
  ['positional argument', ['node1'], /Unexpected argument 'node1'/],
];
for (const [title, argv, message] of refused) {
  test(`refused: ${title}`, (t) => {
    const e = t.throws(() => parseProvisionArgs(argv), { instanceOf: UsageError });
    t.regex(e!.message, message);
  });
}

test('stage names are checked against the workflow', (t) => {
  const ids = ['bios-verify', 'reboot'];
  t.notThrows(() => validateSelection({ from: 'reboot' }, ids));
  const e = t.throws(() => validateSelection({ only: ['rebot'] }, ids), { instanceOf: UsageError });
  t.regex(e!.message, /--only rebot: no such stage/);
  t.regex(e!.hint!, /bios-verify, reboot/);
});

test('--help lists every flag', (t) => {
  for (const flag of ['--inventory', '--host', '--hosts', '--limit', '--local', '--from', '--only', '--retry-failed', '--reset', '--dry-run', '--state-dir', '--concurrency', '--serial', '--max-fail-percent', '--renderer', '--json', '--help', '--bench-profile', '--accept-new-host-key', '--reboot-timeout', '--reboot-budget']) {
    t.true(HELP.includes(flag), flag);
  }
  t.regex(HELP, /3 {2}a host is locked/);
});

test('--limit globs', (t) => {
  t.true(matchesGlob('rack1-node7', 'rack1-*'));
  t.true(matchesGlob('node1', 'node?'));
  t.false(matchesGlob('node10', 'node?'));
  t.false(matchesGlob('xrack1-a', 'rack1-*'));
  t.true(matchesGlob('a.b', 'a.b'));
  t.false(matchesGlob('axb', 'a.b'));
});

test('decide: --retry-failed starts at the failed stage, --only narrows it', (t) => {
  const ids = ['a', 'b', 'c', 'd'];
  const status = (id: string) => (id === 'b' ? 'failed' : id === 'a' ? 'done' : 'pending');
  t.deepEqual(decide({ retryFailed: true, only: ['a', 'b', 'c'] }, ids, status).map((d) => d.run), [false, true, true, false]);
  t.deepEqual(decide({ retryFailed: true }, ids, status).map((d) => d.run), [false, true, true, true]);
  t.deepEqual(decide({ retryFailed: true }, ids, () => 'done').map((d) => d.run), [false, false, false, false]);
});
