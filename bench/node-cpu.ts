// CPU time a lab's nodes spend (each node's cgroup: its sshd, the commands a run sends, its
// containers): on 2 CPUs shared by the nodes and the controller, a no-op's wall time is about the
// machine's CPU time / 2, so the benchmark reports where it went. Read from the cgroups the lab made
// (lab.json): cgroup v1's cpuacct.usage (ns), or v2's cpu.stat usage_usec.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readState } from '../lab/state.ts';

/** CPU seconds in a cgroup's accounting file: cpuacct.usage (v1, ns) or cpu.stat (v2). Pure. */
export function cgroupCpuS(file: 'cpuacct.usage' | 'cpu.stat', text: string): number {
  if (file === 'cpuacct.usage') {
    const ns = Number(text.trim());
    if (!Number.isFinite(ns)) throw new Error(`cpuacct.usage is not a number: ${JSON.stringify(text)}`);
    return ns / 1e9;
  }
  const usec = /^usage_usec (\d+)$/m.exec(text);
  if (!usec) throw new Error('cpu.stat has no usage_usec line');
  return Number(usec[1]) / 1e6;
}

/** The accounting file of each node of the lab in `labDir` (its cgroup below the lab's). */
export function nodeCpuFiles(labDir: string, nodes: readonly string[]): string[] {
  const cgroups = readState(labDir)?.created?.cgroups ?? [];
  const v1 = cgroups.find((c) => /\/(cpu,)?cpuacct\//.test(c));
  const v2 = cgroups.find((c) => existsSync(join(c, 'cpu.stat')));
  const [root, file] = v1 ? [v1, 'cpuacct.usage'] : v2 ? [v2, 'cpu.stat'] : [undefined, ''];
  if (!root) return [];
  return nodes.map((n) => join(root, n, file)).filter((f) => existsSync(f));
}

/** The CPU seconds the nodes' cgroups have used so far (undefined: no accounting found). */
export function nodesCpuS(files: readonly string[]): number | undefined {
  if (files.length === 0) return undefined;
  return files.reduce((sum, f) => sum + cgroupCpuS(basename(f) as 'cpuacct.usage' | 'cpu.stat', readFileSync(f, 'utf8')), 0);
}
