import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseCpuinfo, virtualizationSupport } from '../../../../node/parse/cpuinfo.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../../fixtures/parse/${name}`, import.meta.url), 'utf8');

test('real /proc/cpuinfo of this VM: AMD EPYC guest without svm', (t) => {
  const cpu = parseCpuinfo(fixture('cpuinfo-amd-epyc-vm.txt'));
  t.is(cpu.modelName, 'AMD EPYC');
  t.is(cpu.processors, 2);
  t.true(cpu.flags.has('hypervisor'));
  t.true(cpu.flags.has('avx512f'));
  t.is(virtualizationSupport(cpu.flags), null);
});

test('Xeon E5-2650 v2 of the paper era has vmx', (t) => {
  const cpu = parseCpuinfo(fixture('cpuinfo-intel-xeon-e5-2650v2.txt'));
  t.is(cpu.modelName, 'Intel(R) Xeon(R) CPU E5-2650 v2 @ 2.60GHz');
  t.is(cpu.processors, 2);
  t.is(virtualizationSupport(cpu.flags), 'vmx');
});

test('svm, and flags common to all processors only', (t) => {
  const text = 'processor\t: 0\nflags\t\t: fpu svm lm\n\nprocessor\t: 1\nflags\t\t: fpu svm\n';
  const cpu = parseCpuinfo(text);
  t.deepEqual([...cpu.flags], ['fpu', 'svm']);
  t.is(virtualizationSupport(cpu.flags), 'svm');
});

test('text without processors is refused', (t) => {
  t.throws(() => parseCpuinfo(''), { message: /no processor with flags/ });
  t.throws(() => parseCpuinfo('processor : 0\nFeatures : fp asimd\n'), { message: /no processor with flags/ });
});
