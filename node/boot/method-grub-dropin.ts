// The grub.d drop-in method (Debian, Ubuntu: their grub-mkconfig sources /etc/default/grub, then
// /etc/default/grub.d/*.cfg in name order, the last assignment winning): our params go into a
// drop-in of our own, which sets both variables as the files read before it leave them, with the
// plan's params. Files read after it stay theirs: Debian's kdump-tools appends crashkernel to
// GRUB_CMDLINE_LINUX_DEFAULT after ours, and that is fine. The judgement is on the outcome: the
// node's shell sources every file with ours in its place (before it is written, from its planned
// text) and the command line grub-mkconfig will produce must carry every planned param, once,
// with nothing of ours contradicted and nothing doubled by ours. The way back removes our drop-in;
// one the operator changed since loses our params, and what they added to it stays as additions
// to what the other files set, so it never overrides their settings (kept, named in the report).
import { createHash } from 'node:crypto';
import type { Host } from '../../hosts/host.ts';
import { observe } from '../../hosts/observing-host.ts';
import { FatalError } from '../../core/errors.ts';
import type { HostPlan } from '../../inventory/plan.ts';
import { shellQuote } from '../../hosts/quote.ts';
import { cmdlineSatisfies, editCmdline, formatParam, isRepeatable, parseCmdline } from '../parse/cmdline.ts';
import { grubVar, parseShellAssignments } from '../parse/grub-default.ts';
import { effectiveValues, lastSetters, parseGrubDefaultsTrace, type GrubDefaultsTrace, type TraceStep } from '../parse/grub-defaults-trace.ts';
import { GRUB_DEFAULTS, contradictingParams, editGrubDefaults, planEdit } from './grub-defaults.ts';
import { removeFile } from '../files/owned-files.ts';
import { notOwnParams } from './cmdline-target.ts';
import { GRUB_MENU, finishGrubCommit, grubCommitTail } from './grub-menu.ts';
import type { BootMethod, CmdlineEdit, Direction, ParamsFile } from './method.ts';

export const GRUB_DROPIN_DIR = '/etc/default/grub.d';
/** Ours: 99 sorts after the distro's and the image's drop-ins (50-cloudimg-settings.cfg). */
export const GRUB_DROPIN = `${GRUB_DROPIN_DIR}/99-sriov-lxc.cfg`;
const MARK = '# Written by sriov-lxc';
const SUM = '# sriov-lxc sha256 of the two lines below: ';
const STRIPPED = '# Left by sriov-lxc teardown';

// grub-mkconfig's reading of the defaults (util/grub-mkconfig.in): /etc/default/grub, then
// /etc/default/grub.d/*.cfg in glob order. `base` skips ours; `full` reads ours in its place, from
// $2 when a planned text is given (so the outcome is judged before anything is written). Each
// chain runs in a subshell; its output goes nowhere. /etc/default/grub is read once, before both:
// Debian's runs \`lsb_release -i -s\` (GRUB_DISTRIBUTOR), a Python program (~40 ms of CPU), and the
// chains start from the same variables either way.
export const TRACE = `own=$1 planned=$2 text=$3
step() { printf '%s\\0%s\\0%s\\0%s\\0' "$1" "$2" "\${GRUB_CMDLINE_LINUX-}" "\${GRUB_CMDLINE_LINUX_DEFAULT-}"; }
files() { { for x in /etc/default/grub.d/*.cfg; do [ -e "$x" ] && printf '%s\\n' "$x"; done; printf '%s\\n' "$own"; } | LC_ALL=C sort -u; }
if [ -f /etc/default/grub ]; then . /etc/default/grub > /dev/null 2>&1 < /dev/null; fi
chain() {
  step "$1" /etc/default/grub
  files | while IFS= read -r x; do
    if [ "$x" = "$own" ]; then
      [ "$1" = base ] && continue
      if [ "$planned" = 1 ]; then eval "$text" > /dev/null 2>&1 < /dev/null
      elif [ -e "$x" ]; then . "$x" > /dev/null 2>&1 < /dev/null
      else continue; fi
    else
      . "$x" > /dev/null 2>&1 < /dev/null
    fi
    step "$1" "$x"
  done
}
(chain base) && (chain full) && printf 'end\\0'`;

/** The trace with our drop-in as it is on the node, or as `planned` when given. */
const traceArgv = (planned?: string): string[] => ['sh', '-c', TRACE, 'sh', GRUB_DROPIN, planned === undefined ? '0' : '1', planned ?? ''];

export async function traceGrubDefaults(host: Host, planned?: string): Promise<GrubDefaultsTrace> {
  // A read like the others (batched, remembered): sent as a plain command it made the host forget
  // what the check had read, and the trial entry, /proc/cmdline and grub-probe went again one by one.
  await observe(host, [{ argv: traceArgv(planned) }]);
  const result = await host.exec(traceArgv(planned), { env: { LC_ALL: 'C' } });
  return parseGrubDefaultsTrace(result.stdout);
}

/** The steps before ours in the reading order (byte order, as sh's glob in the C locale). */
function stepsBeforeOurs(steps: readonly TraceStep[]): TraceStep[] {
  return steps.filter((s) => s.file === GRUB_DEFAULTS || Buffer.compare(Buffer.from(s.file), Buffer.from(GRUB_DROPIN)) < 0);
}

const assignments = (linux: string, linuxDefault: string): string => `GRUB_CMDLINE_LINUX=${shellQuote(linux)}\nGRUB_CMDLINE_LINUX_DEFAULT=${shellQuote(linuxDefault)}\n`;
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Our drop-in: both variables as the files read before it leave them, with the plan's params. */
export function renderDropin(trace: GrubDefaultsTrace, plan: HostPlan): string {
  const before = stepsBeforeOurs(trace.base);
  const values = effectiveValues(before);
  const edited = editGrubDefaults(assignments(values.linux, values.linuxDefault), plan).text;
  const linux = grubVar(edited, 'GRUB_CMDLINE_LINUX') ?? '';
  // A planned param the files before ours already give GRUB_CMDLINE_LINUX_DEFAULT as planned
  // (intel_iommu=on there, as many SR-IOV guides say) is now in GRUB_CMDLINE_LINUX: once is enough.
  // Not a repeatable one: a hugepagesz= there opens the pool for the hugepages= after it.
  const twice = plan.kernelParams.filter((p) => !isRepeatable(p));
  const body = assignments(linux, editCmdline(grubVar(edited, 'GRUB_CMDLINE_LINUX_DEFAULT') ?? '', [], twice).trim());
  const setters = lastSetters(before);
  return [
    `${MARK}: the kernel params of its inventory. grub-mkconfig reads this file after ${GRUB_DEFAULTS}`,
    `# and the ${GRUB_DROPIN_DIR}/*.cfg before it (name order): GRUB_CMDLINE_LINUX as ${setters.linux ?? GRUB_DEFAULTS} set it,`,
    `# GRUB_CMDLINE_LINUX_DEFAULT as ${setters.linuxDefault ?? GRUB_DEFAULTS} set it, with the params set; files read after`,
    '# it add to them. Change the params in the inventory, not here (teardown removes this file).',
    `${SUM}${sha256(body)}`,
    body,
  ].join('\n');
}

/** In words: which files read before ours, other than /etc/default/grub, set the variables (an override noticed). */
export function describeOverrides(trace: GrubDefaultsTrace): string[] {
  // The notes say ours is read after the file: one read after ours (kdump-tools.cfg) adds to ours.
  const setters = lastSetters(stepsBeforeOurs(trace.base));
  const lines: string[] = [];
  if (setters.linux && setters.linux !== GRUB_DEFAULTS) lines.push(`GRUB_CMDLINE_LINUX comes from ${setters.linux}, which overrides ${GRUB_DEFAULTS}`);
  if (setters.linuxDefault && setters.linuxDefault !== GRUB_DEFAULTS) lines.push(`GRUB_CMDLINE_LINUX_DEFAULT comes from ${setters.linuxDefault}, which overrides ${GRUB_DEFAULTS}`);
  return lines;
}

/** What grub-mkconfig will put on the linux lines: GRUB_CMDLINE_LINUX, then _DEFAULT. */
export function effectiveCmdlineOf(trace: GrubDefaultsTrace, which: 'base' | 'full'): string {
  const v = effectiveValues(trace[which]);
  return [v.linux, v.linuxDefault].filter((s) => s !== '').join(' ');
}

const tokens = (cmdline: string): string[] => parseCmdline(cmdline).map(formatParam);
const count = (list: readonly string[], token: string): number => list.filter((t) => t === token).length;

/**
 * Why the command line grub-mkconfig will produce with our drop-in in place (`trace.full`) is not
 * what the plan wants, in words; [] when it is: every planned param there, once; none of ours
 * contradicted; no param twice that is not twice without us.
 */
export function judgeDropin(trace: GrubDefaultsTrace, plan: HostPlan): string[] {
  const outcome = effectiveCmdlineOf(trace, 'full');
  const have = tokens(outcome);
  const without = tokens(effectiveCmdlineOf(trace, 'base'));
  const check = cmdlineSatisfies(outcome, plan.kernelParams);
  const problems: string[] = [];
  if (check.missing.length > 0) problems.push(`it lacks ${check.missing.join(' ')}`);
  for (const c of check.conflicting) problems.push(`${c.param} is contradicted by ${c.found}`);
  const doubled = [...new Set(have)].filter((t) => count(have, t) > 1 && count(without, t) <= 1);
  if (doubled.length > 0) problems.push(`${doubled.join(' ')} ${doubled.length > 1 ? 'are' : 'is'} on it twice`);
  return problems;
}

/** The files read after ours that take a planned param off, contradict it or add it again. */
export function spoilersAfterDropin(trace: GrubDefaultsTrace, plan: HostPlan): string[] {
  const at = trace.full.findIndex((s) => s.file === GRUB_DROPIN);
  if (at < 0) return [];
  const cmdline = (s: TraceStep): string => [s.linux, s.linuxDefault].filter((v) => v !== '').join(' ');
  const fine = (s: TraceStep): boolean => cmdlineSatisfies(cmdline(s), plan.kernelParams).ok && plan.kernelParams.every((p) => count(tokens(cmdline(s)), p) <= 1);
  return trace.full.slice(at + 1).filter((s, i) => fine(trace.full[at + i] as TraceStep) && !fine(s)).map((s) => s.file);
}

function refuse(host: Host, trace: GrubDefaultsTrace, plan: HostPlan, problems: readonly string[]): FatalError {
  const after = spoilersAfterDropin(trace, plan);
  const blame = after.length > 0 ? `; read after it, ${after.join(', ')} ${after.length > 1 ? 'undo' : 'undoes'} that in GRUB_CMDLINE_LINUX(_DEFAULT)` : '';
  return new FatalError(`${host.name}: with ${GRUB_DROPIN} in place, the kernel command line grub-mkconfig would produce is not the plan's: ${problems.join('; ')} ("${effectiveCmdlineOf(trace, 'full')}")${blame}`, {
    hint: after.length > 0
      ? `a file read after ours sets the variables outright instead of adding to them: make it add to them (GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX ..."), or move its settings into a file that sorts before 99-sriov-lxc.cfg, then run again`
      : `check ${GRUB_DEFAULTS} and ${GRUB_DROPIN_DIR}/*.cfg on the node, then run again`,
  });
}

/** The drop-in as sriov-lxc wrote it: its checksum matches its two assignments and it has nothing else. */
export function isUnchangedDropin(text: string): boolean {
  const lines = text.split('\n');
  const sum = lines.find((l) => l.startsWith(SUM))?.slice(SUM.length);
  const rest = lines.filter((l) => l.trim() !== '' && !l.startsWith('#'));
  const names = parseShellAssignments(rest.join('\n')).map((a) => a.name);
  if (!lines[0]?.startsWith(MARK) || rest.length !== 2 || names.join(' ') !== 'GRUB_CMDLINE_LINUX GRUB_CMDLINE_LINUX_DEFAULT') return false;
  // Written before the checksum line was: the shape alone says it.
  return sum === undefined || sum === sha256(`${rest.join('\n')}\n`);
}

/**
 * A drop-in the operator changed, without our params: what they added to each variable (beyond
 * what the files before ours set) appended to it, and any other line of theirs as it is; '' when
 * nothing of theirs is left.
 */
export function strippedDropin(text: string, before: { linux: string; linuxDefault: string }, remove: readonly string[]): string {
  const theirs: string[] = [];
  const other = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#') && !/^\s*(export\s+)?GRUB_CMDLINE_LINUX(_DEFAULT)?=/.test(l));
  for (const [name, base] of [['GRUB_CMDLINE_LINUX', before.linux], ['GRUB_CMDLINE_LINUX_DEFAULT', before.linuxDefault]] as const) {
    const value = grubVar(text, name);
    if (typeof value !== 'string') continue;
    const own = tokens(base);
    const added = tokens(value).filter((t) => !own.includes(t) && !remove.includes(t));
    if (added.length > 0) theirs.push(`${name}="$${name} "${shellQuote(added.join(' '))}`);
  }
  if (theirs.length === 0 && other.length === 0) return '';
  return [
    `${STRIPPED}: this file was changed after sriov-lxc wrote it. sriov-lxc's params are`,
    '# out of it; what was added to it stays, as additions to what the other files set.',
    ...other,
    ...theirs,
    '',
  ].join('\n');
}

async function paramsFile(host: Host, plan: HostPlan, direction: Direction): Promise<ParamsFile> {
  const current = (await host.readFile(GRUB_DROPIN)) ?? '';
  const trace = await traceGrubDefaults(host);
  const rendered = renderDropin(trace, plan);
  if (direction === 'add') {
    const outcome = current === rendered ? trace : await traceGrubDefaults(host, rendered);
    const problems = judgeDropin(outcome, plan);
    if (problems.length > 0) throw refuse(host, outcome, plan, problems);
    return { path: GRUB_DROPIN, current, target: rendered, edit: planEdit(plan), how: 'edit', notes: describeOverrides(trace) };
  }
  if (current === '') return { path: GRUB_DROPIN, current, target: '', edit: notOwnParams(effectiveCmdlineOf(trace, 'base'), plan.kernelParams), how: 'nothing', notes: [] };
  const kept = `changed since sriov-lxc wrote it: sriov-lxc's params taken out; what was added to it kept, as additions to what the other files set`;
  if (current.startsWith(STRIPPED)) {
    // Stripped by an earlier teardown: the operator's now.
    return { path: GRUB_DROPIN, current, target: current, edit: notOwnParams(effectiveCmdlineOf(trace, 'full'), plan.kernelParams), how: 'strip', notes: [], kept };
  }
  const edit = teardownEdit(trace, plan);
  if (current === rendered || isUnchangedDropin(current)) return { path: GRUB_DROPIN, current, target: '', edit, how: 'restore', notes: [] };
  const target = strippedDropin(current, effectiveValues(stepsBeforeOurs(trace.base)), edit.remove);
  return {
    path: GRUB_DROPIN,
    current,
    target,
    edit,
    how: 'strip',
    notes: [],
    ...(target === '' ? {} : { kept }),
  };
}

/** What our drop-in puts on and takes off: the command line with it, against the one without it. */
function teardownEdit(trace: GrubDefaultsTrace, plan: HostPlan): CmdlineEdit {
  const withOurs = tokens(effectiveCmdlineOf(trace, 'full'));
  const without = tokens(effectiveCmdlineOf(trace, 'base'));
  const ours = new Set(plan.kernelParams.map((p) => tokens(p)[0]));
  const contradicting = contradictingParams(plan).map((c) => c.split('=')[0]);
  return {
    remove: withOurs.filter((t) => ours.has(t) && !without.includes(t)),
    add: without.filter((t) => !withOurs.includes(t) && contradicting.some((c) => t === c || t.startsWith(`${c}=`))),
  };
}

export const grubDropinMethod: BootMethod = {
  ...GRUB_MENU,
  name: 'grub-dropin',
  reads: [{ file: GRUB_DEFAULTS }, { file: GRUB_DROPIN }, { argv: traceArgv() }],
  paramsFile: (host, plan, direction) => paramsFile(host, plan, direction),
  async describeCommit(_host, config) {
    const p = config.params;
    const lines = [...p.notes.map((o) => `noticed: ${o}; ${p.path} is read after it`)];
    if (p.current !== p.target) {
      if (config.direction === 'add') lines.push(`${p.path}: GRUB_CMDLINE_LINUX(_DEFAULT) with ${p.edit.add.join(' ')}, read after ${GRUB_DEFAULTS} and the drop-ins before it`);
      else if (p.target === '') lines.push(`${p.path}: remove it (sriov-lxc wrote it)`);
      else lines.push(`${p.path}: take ${p.edit.remove.join(' ')} out (the file changed since sriov-lxc wrote it); what was added to it stays, added to the other files' values`);
    }
    return [...lines, ...grubCommitTail(config)];
  },
  async commit(host, config) {
    const p = config.params;
    if (p.current !== p.target) {
      if (p.target === '') await removeFile(host, GRUB_DROPIN);
      else await host.writeFile(GRUB_DROPIN, p.target, { mode: 0o644 });
    }
    await finishGrubCommit(host, config, `${GRUB_DROPIN} is already ${p.target === '' ? 'removed' : 'written'}`);
  },
};
