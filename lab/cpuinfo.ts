// /proc/cpuinfo of a lab node: the host's CPUs presented as the paper's Intel Xeon host, with VT-x
// (the `vmx` flag) unless the node's firmware has it disabled. Pure.

const MODEL = 'Intel(R) Xeon(R) CPU E5-2650 v2 @ 2.60GHz';
const HIDDEN_FLAGS = new Set(['vmx', 'svm', 'hypervisor']);

export function nodeCpuinfo(hostCpuinfo: string, vtEnabled: boolean): string {
  return hostCpuinfo
    .split('\n')
    .map((line) => {
      const at = line.indexOf(':');
      if (at < 0) return line;
      const key = line.slice(0, at).trim();
      if (key === 'vendor_id') return `${line.slice(0, at)}: GenuineIntel`;
      if (key === 'model name') return `${line.slice(0, at)}: ${MODEL}`;
      if (key !== 'flags') return line;
      const flags = line
        .slice(at + 1)
        .trim()
        .split(/\s+/)
        .filter((f) => !HIDDEN_FLAGS.has(f));
      if (vtEnabled) flags.splice(Math.max(flags.indexOf('ht'), 0) + 1, 0, 'vmx');
      return `${line.slice(0, at)}: ${flags.join(' ')}`;
    })
    .join('\n');
}
