// teardown.ts's work: the teardown stages over the inventory's hosts, through provision's CLI
// machinery (hosts, selection, engine, summary); what is particular to teardown is here.
import { TEARDOWN_KEEPING_CONTAINERS, TEARDOWN_WORKFLOW, keptFiles } from '../workflows/teardown-workflow.ts';
import type { RecordedOutputs } from '../core/outputs.ts';
import type { HostResult } from '../engine/run.ts';
import { runWorkflowCli, type WorkflowCli } from './provision-main.ts';
import { TEARDOWN_HELP, parseTeardownArgs, type TeardownArgs } from './teardown-args.ts';

/** The files left in place for the operator, per host, for the text report. */
export function keptLines(results: readonly HostResult[]): string[] {
  const lines: string[] = [];
  for (const r of results) {
    const kept = keptFiles(r.outputs as RecordedOutputs);
    const unique = [...new Map(kept.map((k) => [k.path, k])).values()];
    if (unique.length === 0) continue;
    lines.push(`${r.host}: left in place (not sriov-lxc's, or changed by the operator since sriov-lxc wrote them):`);
    for (const k of unique) lines.push(`  ${k.path}: ${k.why}`);
  }
  return lines;
}

export const TEARDOWN_CLI: WorkflowCli<TeardownArgs> = {
  name: 'teardown',
  parse: parseTeardownArgs,
  help: TEARDOWN_HELP,
  // --keep-containers: the containers stage is not part of the run (and so not in the report).
  workflow: (args) => (args.keepContainers ? TEARDOWN_KEEPING_CONTAINERS : TEARDOWN_WORKFLOW),
  resumeArgs: (args) => (args.keepContainers ? ['--keep-containers'] : []),
  epilogue: keptLines,
};

export async function runTeardown(entry: string): Promise<void> {
  await runWorkflowCli(TEARDOWN_CLI, entry);
}
