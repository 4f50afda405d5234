// What grub-mkconfig makes of /etc/default/grub and /etc/default/grub.d/*.cfg: it sources the
// first, then each drop-in in name order, and the last assignment wins. The node prints, after each
// file, the two variables that reach the linux line (NUL-separated: file, GRUB_CMDLINE_LINUX,
// GRUB_CMDLINE_LINUX_DEFAULT), once without our own drop-in (`base`) and once with it (`full`),
// then `end`. Pure.
import { ParseError } from './parse-error.ts';

export interface TraceStep {
  file: string;
  linux: string;
  linuxDefault: string;
}

export interface GrubDefaultsTrace {
  /** Every file but ours, in the order grub-mkconfig reads them. */
  base: TraceStep[];
  /** The same with ours in its place. */
  full: TraceStep[];
}

export function parseGrubDefaultsTrace(stdout: string): GrubDefaultsTrace {
  const fields = stdout.split('\0');
  const trace: GrubDefaultsTrace = { base: [], full: [] };
  let i = 0;
  for (;;) {
    const kind = fields[i];
    if (kind === 'end') return trace;
    if ((kind !== 'base' && kind !== 'full') || i + 3 >= fields.length) {
      throw new ParseError('reading /etc/default/grub and /etc/default/grub.d/*.cfg stopped before the end (a file that sh cannot source?)', {
        hint: 'run `sh -n /etc/default/grub /etc/default/grub.d/*.cfg` on the node: grub-mkconfig would fail on it too',
      });
    }
    trace[kind].push({ file: fields[i + 1] as string, linux: fields[i + 2] as string, linuxDefault: fields[i + 3] as string });
    i += 4;
  }
}

/** The values grub-mkconfig ends with. */
export function effectiveValues(steps: readonly TraceStep[]): { linux: string; linuxDefault: string } {
  const last = steps.at(-1);
  return { linux: last?.linux ?? '', linuxDefault: last?.linuxDefault ?? '' };
}

/** The file that gave each variable its final value (the last one that changed it). */
export function lastSetters(steps: readonly TraceStep[]): { linux?: string; linuxDefault?: string } {
  const setters: { linux?: string; linuxDefault?: string } = {};
  steps.forEach((step, i) => {
    const before = steps[i - 1];
    if (step.linux !== (before?.linux ?? '')) setters.linux = step.file;
    if (step.linuxDefault !== (before?.linuxDefault ?? '')) setters.linuxDefault = step.file;
  });
  return setters;
}
