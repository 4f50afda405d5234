// /proc/cpuinfo: CPU flags and hardware virtualisation support.
import { ParseError } from './parse-error.ts';

export interface CpuInfo {
  modelName: string | null;
  processors: number;
  /** Flags every listed processor has. */
  flags: Set<string>;
}

export function parseCpuinfo(text: string): CpuInfo {
  let processors = 0;
  let modelName: string | null = null;
  const flagLists: string[][] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key === 'processor') processors++;
    else if (key === 'model name' && modelName === null) modelName = value;
    else if (key === 'flags') flagLists.push(value.split(/\s+/).filter((f) => f !== ''));
  }
  const [first, ...others] = flagLists;
  if (processors === 0 || first === undefined) {
    throw new ParseError('no processor with flags in /proc/cpuinfo', {
      hint: 'this reads the x86 /proc/cpuinfo format (processor/flags lines); check the node is x86_64',
    });
  }
  const flags = new Set(first.filter((f) => others.every((list) => list.includes(f))));
  return { modelName, processors, flags };
}

/**
 * Intel VT-x (vmx) or AMD-V (svm). Since Linux 5.6 the kernel hides vmx when the BIOS leaves VT-x
 * disabled, so there null also means "off in BIOS"; older kernels (EL7's 3.10) show vmx anyway.
 */
export function virtualizationSupport(flags: ReadonlySet<string>): 'vmx' | 'svm' | null {
  if (flags.has('vmx')) return 'vmx';
  if (flags.has('svm')) return 'svm';
  return null;
}
