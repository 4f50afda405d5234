import test from 'ava';
import { cgroupCpuS } from '../../../bench/node-cpu.ts';

test("a node cgroup's CPU seconds: cgroup v1 cpuacct.usage (ns), v2 cpu.stat usage_usec", (t) => {
  // cpuacct.usage as the kernel prints it (one number of nanoseconds, a newline)
  t.is(cgroupCpuS('cpuacct.usage', '1250000000\n'), 1.25);
  // cpu.stat of cgroup v2 (Documentation/admin-guide/cgroup-v2.rst: usage_usec first)
  t.is(cgroupCpuS('cpu.stat', 'usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\nnr_periods 0\n'), 2.5);
  t.throws(() => cgroupCpuS('cpuacct.usage', 'max\n'), { message: /not a number/ });
  t.throws(() => cgroupCpuS('cpu.stat', 'user_usec 1\n'), { message: /no usage_usec/ });
});
