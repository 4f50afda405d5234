import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseCmdline, parseParam, formatParam, cmdlineSatisfies, editCmdline, normalizeKey } from '../../../../node/parse/cmdline.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../../fixtures/parse/${name}`, import.meta.url), 'utf8');

// The paper's boot params (CentOS 7 host, BOOT_IMAGE added by grub's linux16 loader).
const paperCmdline =
  'BOOT_IMAGE=/vmlinuz-3.10.0-123.8.1.el7.x86_64 root=/dev/mapper/cc_p01001534852033-root ro crashkernel=auto ' +
  'vconsole.font=latarcyrheb-sun16 vconsole.keymap=us rhgb quiet LANG=en_US.UTF-8 intel_iommu=off ' +
  'default_hugepagesz=2M hugepagesz=2M ixgbe.max_vfs=8,8\n';

test('real /proc/cmdline of this VM: params stop at "--", comma values kept whole', (t) => {
  const params = parseCmdline(fixture('cmdline-vm.txt'));
  t.deepEqual(params[0], { key: 'mitigations', value: 'auto,no_guest_host,no_guest_guest' });
  t.deepEqual(params.find((p) => p.key === 'quiet'), { key: 'quiet', value: null });
  t.deepEqual(params.at(-1), { key: 'rdinit', value: '/process_api' });
  t.false(params.some((p) => p.key.startsWith('--')));
  t.is(params.length, 17);
});

test('quotes follow the kernel rules', (t) => {
  t.deepEqual(parseCmdline('foo="a b" "bar=c d" baz= x=y=z'), [
    { key: 'foo', value: 'a b' },
    { key: 'bar', value: 'c d' },
    { key: 'baz', value: '' },
    { key: 'x', value: 'y=z' },
  ]);
  t.deepEqual(parseCmdline(''), []);
  t.deepEqual(parseCmdline('  \n'), []);
});

test('parseParam/formatParam round-trip and refuse what the kernel cannot carry', (t) => {
  t.deepEqual(parseParam('root=UUID=abc'), { key: 'root', value: 'UUID=abc' });
  t.deepEqual(parseParam('quiet'), { key: 'quiet', value: null });
  t.is(formatParam({ key: 'foo', value: 'a b' }), 'foo="a b"');
  t.is(formatParam(parseParam('ixgbe.max_vfs=8,8')), 'ixgbe.max_vfs=8,8');
  t.throws(() => parseParam('=on'), { message: /not a kernel parameter/ });
  t.throws(() => formatParam({ key: 'x', value: 'a "b" c' }), { message: /spaces and double quotes/ });
});

test('module param names treat - and _ alike', (t) => {
  t.is(normalizeKey('ixgbe.max-vfs'), 'ixgbe.max_vfs');
  t.true(cmdlineSatisfies('ixgbe.max-vfs=8,8', ['ixgbe.max_vfs=8,8']).ok);
});

test('the paper cmdline satisfies the paper plan and not a modern IOMMU plan', (t) => {
  const paperPlan = ['intel_iommu=off', 'default_hugepagesz=2M', 'hugepagesz=2M', 'ixgbe.max_vfs=8,8'];
  t.deepEqual(cmdlineSatisfies(paperCmdline, paperPlan), { ok: true, missing: [], conflicting: [] });
  t.deepEqual(cmdlineSatisfies(paperCmdline, ['intel_iommu=on', 'iommu=pt', 'ixgbe.max_vfs=8,8']), {
    ok: false,
    missing: ['iommu=pt'],
    conflicting: [{ param: 'intel_iommu=on', found: 'intel_iommu=off' }],
  });
});

test('real update-grub linux line satisfies its own GRUB_CMDLINE_LINUX params', (t) => {
  const linux = fixture('grub-debian12.cfg').split('\n').find((l) => l.trim().startsWith('linux\t'));
  t.truthy(linux);
  const check = cmdlineSatisfies(linux ?? '', ['intel_iommu=on', 'iommu=pt', 'default_hugepagesz=2M', 'ixgbe.max_vfs=8,8']);
  t.true(check.ok);
});

test('comma values: option sets are subsets, max_vfs is an exact per-port list', (t) => {
  t.true(cmdlineSatisfies('intel_iommu=on,sm_on', ['intel_iommu=on']).ok);
  t.false(cmdlineSatisfies('intel_iommu=on', ['intel_iommu=on,sm_on']).ok);
  t.false(cmdlineSatisfies('ixgbe.max_vfs=8,8,8', ['ixgbe.max_vfs=8,8']).ok);
  t.false(cmdlineSatisfies('ixgbe.max_vfs=8', ['ixgbe.max_vfs=8,8']).ok);
  t.true(cmdlineSatisfies('quiet', ['quiet']).ok);
  t.true(cmdlineSatisfies('nomodeset=1', ['nomodeset']).ok, 'a bare wanted flag accepts any value');
  t.deepEqual(cmdlineSatisfies('iommu', ['iommu=pt']).conflicting, [{ param: 'iommu=pt', found: 'iommu' }]);
});

test('the last occurrence wins, except for repeatable params', (t) => {
  t.deepEqual(cmdlineSatisfies('intel_iommu=on intel_iommu=off', ['intel_iommu=on']).conflicting, [
    { param: 'intel_iommu=on', found: 'intel_iommu=off' },
  ]);
  t.true(cmdlineSatisfies('intel_iommu=off intel_iommu=on', ['intel_iommu=on']).ok);
  const pools = 'hugepagesz=1G hugepages=4 hugepagesz=2M hugepages=512 console=tty0 console=ttyS0,115200';
  t.true(cmdlineSatisfies(pools, ['hugepagesz=1G', 'hugepagesz=2M', 'console=tty0']).ok);
  t.deepEqual(cmdlineSatisfies(pools, ['hugepagesz=16G']).conflicting, [
    { param: 'hugepagesz=16G', found: 'hugepagesz=1G hugepagesz=2M' },
  ]);
});

test('accepts already-parsed params', (t) => {
  t.true(cmdlineSatisfies([{ key: 'iommu', value: 'pt' }], ['iommu=pt']).ok);
});

test('editCmdline replaces in place, appends missing, keeps the rest byte for byte', (t) => {
  const before = 'root=/dev/vda1 ro  intel_iommu=off quiet';
  const after = editCmdline(before, ['intel_iommu=on', 'iommu=pt', 'ixgbe.max_vfs=8,8']);
  t.is(after, 'root=/dev/vda1 ro  intel_iommu=on quiet iommu=pt ixgbe.max_vfs=8,8');
  t.is(editCmdline(after, ['intel_iommu=on', 'iommu=pt', 'ixgbe.max_vfs=8,8']), after, 'idempotent');
});

test('editCmdline drops later duplicates, honours remove and keeps init args after "--"', (t) => {
  t.is(editCmdline('a=1 b a=2 c', ['a=3']), 'a=3 b c');
  t.is(editCmdline('rhgb quiet intel_iommu=off', [], ['rhgb', 'intel_iommu=on']), 'quiet intel_iommu=off');
  t.is(editCmdline('rhgb quiet', [], ['rhgb']), 'quiet');
  t.is(editCmdline('ro quiet -- single', ['iommu=pt']), 'ro quiet iommu=pt -- single');
  t.is(editCmdline('', ['foo=a b', 'quiet']), 'foo="a b" quiet');
  t.is(editCmdline('quiet\n', ['iommu=pt']), 'quiet iommu=pt\n');
  t.is(editCmdline('ixgbe.max-vfs=4', ['ixgbe.max_vfs=8,8']), 'ixgbe.max_vfs=8,8');
  t.is(editCmdline('console=tty0', ['console=ttyS0']), 'console=tty0 console=ttyS0');
  t.is(editCmdline('console=tty0', ['console=tty0']), 'console=tty0');
  t.is(editCmdline('a b', ['c=1'], ['b']), 'a c=1');
  t.is(editCmdline('intel_iommu=on,sm_on quiet', ['intel_iommu=on']), 'intel_iommu=on,sm_on quiet', 'already satisfied');
  t.is(editCmdline('a=1 b a=2', ['a=2']), 'a=1 b a=2', 'the effective (last) value already fits');
  t.is(editCmdline('x a=0 y', ['a=1', 'a=2']), 'x a=2 y', 'a key given twice: the last one counts');
  t.is(editCmdline('', ['a=1', 'a=2', 'console=ttyS0', 'console=ttyS0']), 'a=2 console=ttyS0');
});

test('after editCmdline the line satisfies what was set, and a second edit changes nothing', (t) => {
  const starts = [fixture('cmdline-vm.txt'), paperCmdline, '', 'intel_iommu=on,sm_on iommu=nopt ixgbe.max-vfs=4 -- init'];
  const plans = [
    ['intel_iommu=on', 'iommu=pt', 'ixgbe.max_vfs=8,8'],
    ['intel_iommu=off', 'default_hugepagesz=2M', 'hugepagesz=2M', 'ixgbe.max_vfs=8,8', 'panic=10'],
  ];
  for (const start of starts) {
    for (const plan of plans) {
      const edited = editCmdline(start, plan, ['rhgb']);
      t.deepEqual(cmdlineSatisfies(edited, plan), { ok: true, missing: [], conflicting: [] }, edited);
      t.is(editCmdline(edited, plan, ['rhgb']), edited);
      t.false(parseCmdline(edited).some((p) => p.key === 'rhgb'));
    }
  }
});
