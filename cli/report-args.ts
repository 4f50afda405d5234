// Command line of workflows/report.ts: parsing, validation and --help. Pure: no I/O.
import { parseArgs } from 'node:util';
import { UsageError } from '../core/errors.ts';
import { REPORT_FORMATS } from '../benchmark/report/render.ts';
import type { ReportFormat } from '../benchmark/report/render.ts';

export interface ReportArgs {
  help: boolean;
  host?: string;
  /** A run id; undefined: the latest run with a benchmark result. */
  run?: string;
  format: ReportFormat;
  /** A run id, or 'previous' for the run before the reported one. */
  compare?: string;
  stateDir?: string;
  /** Write the report here (atomically) instead of to stdout. */
  out?: string;
}

export const REPORT_HELP = `Usage: npx zx workflows/report.ts --host NAME [options]

Shows a host's benchmark results: host vs container for iperf3 and fio, with the penalty of the
container like the paper's Table 1 and 2, medians and spread over the repetitions, each penalty
with its 95 % interval and a verdict (penalty: the whole interval beyond the inventory's
threshold; minor; within noise; better).

  --host NAME          the host (inventory name)
  --run ID             the run to show (default: the latest run with benchmark results)
  --format FMT         md (default) | json | csv | html (one page with charts, no network needed)
  --compare RUN        also show the change against an earlier run (a run id, or "previous"),
                       with intervals and verdicts as for host vs container
  --state-dir DIR      where the results are (env SRIOV_LXC_STATE_DIR; default as for provision)
  --out FILE           write the report to FILE instead of stdout; the penalty summary goes to stdout
  --help               this text

Exit codes: 0 shown; 1 stored results unreadable; 2 usage error or no such results.
`;

export function parseReportArgs(argv: readonly string[]): ReportArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        host: { type: 'string' },
        run: { type: 'string' },
        format: { type: 'string' },
        compare: { type: 'string' },
        'state-dir': { type: 'string' },
        out: { type: 'string', short: 'o' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message, { hint: 'see --help for the options' });
  }
  const v = parsed.values;
  const help = v.help ?? false;
  const format = v.format ?? 'md';
  if (!(REPORT_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format ${JSON.stringify(format)}: expected ${REPORT_FORMATS.join(', ')}`);
  }
  if (!help && (v.host === undefined || v.host === '')) throw new UsageError('--host is required', { hint: 'name the host as in the inventory, e.g. --host node1' });
  return {
    help,
    host: v.host,
    run: v.run,
    format: format as ReportFormat,
    compare: v.compare,
    stateDir: v['state-dir'],
    out: v.out,
  };
}
