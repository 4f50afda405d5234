#!/usr/bin/env -S npx zx
// Entry: show a host's benchmark results (see --help). Decides what to show; the modules under
// benchmark/ read the results and render them.
import { resolveStateDir } from '../state/state-dir.ts';
import { writeFileAtomicSync } from '../state/atomic-file.ts';
import { parseReportArgs, REPORT_HELP } from '../cli/report-args.ts';
import { compareRuns } from '../benchmark/report/compare.ts';
import { renderReport } from '../benchmark/report/render.ts';
import { selectRuns } from '../cli/report-select.ts';
import { renderPenaltySummary } from '../benchmark/report/summary.ts';
import { scriptArgs } from '../cli/script-args.ts';
import { SriovLxcError, UsageError } from '../core/errors.ts';

function main(argv: string[]): number {
  const args = parseReportArgs(argv);
  if (args.help || args.host === undefined) {
    process.stdout.write(REPORT_HELP);
    return 0;
  }
  const stateDir = resolveStateDir({ flag: args.stateDir });
  const { doc, base } = selectRuns(stateDir, args.host, args.run, args.compare);
  const report = renderReport(doc, args.format, base ? compareRuns(doc, base) : undefined);
  if (args.out === undefined) {
    process.stdout.write(report);
  } else {
    writeFileAtomicSync(args.out, report, 0o644);
    process.stdout.write(`${renderPenaltySummary(doc)}\nreport: ${args.out}\n`);
  }
  return 0;
}

try {
  process.exitCode = main(scriptArgs(import.meta.url));
} catch (error) {
  if (!(error instanceof SriovLxcError)) throw error;
  process.stderr.write(`report: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
}
