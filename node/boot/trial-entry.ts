// The trial boot entry: a copy of the default entry of the generated grub.cfg with the plan's
// params (and panic=N) on its linux line, kept in a /etc/grub.d script of its own so that
// grub-mkconfig puts it last in the menu and the default entry stays what it was. Booted once
// through grub-reboot; removed when the params are made the default. Pure.
import type { HostPlan } from '../../inventory/plan.ts';
import { editCmdline, normalizeKey, parseCmdline } from '../parse/cmdline.ts';
import { parseGrubCfg, type GrubMenuEntry } from '../parse/grub-cfg.ts';
import { ParseError } from '../parse/parse-error.ts';
import { contradictingParams } from './grub-defaults.ts';

export const TRIAL_ENTRY_ID = 'sriov-lxc-trial';
// 99: after every stock script (10_linux, 30_os-prober, 40_custom, 41_custom), so the entry comes
// last and no numeric GRUB_DEFAULT moves.
export const TRIAL_SCRIPT = '/etc/grub.d/99_sriov-lxc-trial';
/** On BLS nodes the trial entry is a BLS file of its own; its id (the file name) is TRIAL_ENTRY_ID. */
export const BLS_TRIAL_FILE = `/boot/loader/entries/${TRIAL_ENTRY_ID}.conf`;
/** A trial kernel that panics reboots after this long; GRUB then boots the default entry. */
export const TRIAL_PANIC_SECONDS = 10;

const LINUX_LINE = /^(\s*)(linux|linux16|linuxefi)(\s+)(\S+)(.*)$/;

function isMenuentryLine(line: string): boolean {
  return line.split(/\s/, 1)[0] === 'menuentry' && line.endsWith('{');
}

/** The lines between each `menuentry ... {` and its `}`, in the order parseGrubCfg lists the entries. */
export function menuEntryBodies(cfgText: string): string[][] {
  const lines = cfgText.split('\n');
  const bodies: string[][] = [];
  lines.forEach((first, at) => {
    if (!isMenuentryLine(first.trim())) return;
    const body: string[] = [];
    let depth = 1;
    for (const raw of lines.slice(at + 1)) {
      const line = raw.trim();
      if (!line.startsWith('#')) {
        if (line === '}') depth--;
        else if (line.endsWith('{')) depth++;
      }
      if (depth === 0) break;
      body.push(raw);
    }
    bodies.push(body);
  });
  return bodies;
}

/** The body of `entry` in the grub.cfg it was parsed from. */
export function menuEntryBody(cfgText: string, entry: GrubMenuEntry): string[] {
  const entries = parseGrubCfg(cfgText);
  const bodies = menuEntryBodies(cfgText);
  const at = entries.findIndex((e) => e.title === entry.title && e.id === entry.id && e.index === entry.index && e.submenus.length === entry.submenus.length);
  const body = bodies[at];
  if (at < 0 || body === undefined || bodies.length !== entries.length) {
    throw new ParseError(`cannot find the lines of menu entry "${entry.title}" in grub.cfg`, { hint: 'regenerate grub.cfg with update-grub / grub2-mkconfig and run again' });
  }
  return body;
}

/**
 * The trial's kernel params: the base entry's with the plan's set (and what contradicts it
 * removed), plus panic=N unless the base already reboots on panic by itself.
 */
export function trialParams(baseParams: string, plan: HostPlan): string {
  return trialParamsFor(baseParams, plan.kernelParams, contradictingParams(plan));
}

/** The base entry's params with `set` set and `remove` removed, plus panic=N unless it reboots on panic already (teardown's trial takes params off). */
export function trialParamsFor(baseParams: string, set: readonly string[], remove: readonly string[]): string {
  const panic = parseCmdline(baseParams).findLast((p) => normalizeKey(p.key) === 'panic');
  const rebootsOnPanic = panic?.value !== null && panic?.value !== undefined && /^-?\d+$/.test(panic.value) && Number(panic.value) !== 0;
  const wanted = rebootsOnPanic ? set : [...set, `panic=${TRIAL_PANIC_SECONDS}`];
  return editCmdline(baseParams, wanted, remove).trim();
}

/** A GRUB script word in single quotes, the way grub-mkconfig's grub_quote writes titles. */
function grubQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

export function trialTitle(base: GrubMenuEntry): string {
  return `sriov-lxc trial: ${base.title}`;
}

/**
 * The /etc/grub.d script: like 40_custom, it prints itself from its third line on. The entry is
 * the base entry's body with `params` on its linux line.
 */
export function renderTrialScript(base: GrubMenuEntry, body: readonly string[], params: string): string {
  let linuxLines = 0;
  const lines = body.map((line) => {
    const m = LINUX_LINE.exec(line);
    if (!m) return line;
    linuxLines++;
    return `${m[1]}${m[2]}${m[3]}${m[4]} ${params}`;
  });
  if (linuxLines !== 1) {
    throw new ParseError(`menu entry "${base.title}" has ${linuxLines} linux lines, not one: it cannot be copied into a trial entry`, {
      hint: 'point GRUB_DEFAULT at a generated Linux entry, or set trialBoot: false for this host',
    });
  }
  return [
    '#!/bin/sh',
    'exec tail -n +3 "$0"',
    `# Written by sriov-lxc: "${base.title}" with new kernel params, for one trial boot (next_entry=${TRIAL_ENTRY_ID}); removed when they become the default.`,
    `menuentry ${grubQuote(trialTitle(base))} --id ${TRIAL_ENTRY_ID} {`,
    ...lines,
    '}',
    '',
  ].join('\n');
}

/**
 * The trial BLS entry: the default entry's file with the trial's params on its `options` line
 * and its title marked. GRUB's blscfg lists it; the default (saved_entry) stays the base entry.
 */
export function renderBlsTrial(baseTitle: string, baseFile: string, params: string): string {
  let options = 0;
  const lines = baseFile.split('\n').map((line) => {
    if (/^\s*options(\s|$)/.test(line)) {
      options++;
      return `options ${params}`;
    }
    if (/^\s*title(\s|$)/.test(line)) return `title sriov-lxc trial: ${baseTitle}`;
    return line;
  });
  if (options !== 1) {
    throw new ParseError(`the BLS entry "${baseTitle}" has ${options} options lines, not one: it cannot be copied into a trial entry`, {
      hint: 'fix the entry with grubby, or set trialBoot: false for this host',
    });
  }
  return lines.join('\n');
}

/** Whether the header of a generated grub.cfg boots a one-shot `next_entry` and clears it. */
export function honoursNextEntry(cfgText: string): boolean {
  return /^\s*(el)?if \[ "\$\{next_entry\}" \] ; then\s*$/m.test(cfgText) && /^\s*save_env next_entry\s*$/m.test(cfgText);
}
