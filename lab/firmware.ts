// The boot firmware of a lab node: from the GRUB configuration the node wrote (grub.cfg + grubenv)
// to the kernel command line of the next boot, with the firmware faults that act here. Pure: the
// supervisor reads the files, calls this, and writes back what it returns.
import { expandGrubVars, parseGrubConfig, parseGrubEnv, resolveEntry, setGrubEnvVar, type BlsFile } from './grub.ts';

export interface BootInputs {
  grubCfg: string | undefined;
  grubEnv: string | undefined;
  /** /boot/loader/entries/*.conf, for a grub.cfg that runs `blscfg`. */
  blsFiles?: readonly BlsFile[];
  /** The cmdline of the previous boot (grub-ignored boots it again). */
  lastCmdline: string | undefined;
  /** The cmdline of the last boot that came up (bad-cmdline falls back to it). */
  lastGoodCmdline: string | undefined;
  grubIgnored: boolean;
  badCmdline: boolean;
  /** A previous attempt of this boot already panicked (bad-cmdline). */
  retry: boolean;
}

export interface BootChoice {
  cmdline: string;
  /** The grubenv to write back (a one-shot next_entry consumed), when it changed. */
  grubEnv?: string;
  /** The entry GRUB picked, for the boot log. */
  entry: string;
  /** bad-cmdline: this cmdline panics; the firmware reboots after `panicSeconds`. */
  panics: boolean;
  panicSeconds: number;
}

/** Kernel parameters without BOOT_IMAGE, for comparing two cmdlines. */
export function cmdlineParams(cmdline: string): string[] {
  return cmdline
    .split(/\s+/)
    .filter((w) => w !== '' && !w.startsWith('BOOT_IMAGE='))
    .sort();
}

function sameParams(a: string, b: string): boolean {
  return cmdlineParams(a).join(' ') === cmdlineParams(b).join(' ');
}

/** `panic=N`: seconds before a panicked kernel reboots (the lab waits 2 s when it is absent or 0). */
export function panicSeconds(cmdline: string): number {
  const word = cmdline.split(/\s+/).find((w) => w.startsWith('panic='));
  const n = word ? Number(word.slice('panic='.length)) : 0;
  return Number.isInteger(n) && n > 0 ? Math.min(n, 30) : 2;
}

const FALLBACK_CMDLINE = 'BOOT_IMAGE=/boot/vmlinuz ro quiet';

export function chooseBoot(inputs: BootInputs): BootChoice {
  if (inputs.grubIgnored && inputs.lastCmdline) {
    return { cmdline: inputs.lastCmdline, entry: '(grub configuration ignored)', panics: false, panicSeconds: 0 };
  }
  const env = parseGrubEnv(inputs.grubEnv ?? '');
  const cfg = parseGrubConfig(inputs.grubCfg ?? '', inputs.blsFiles ?? []);
  let spec = expandGrubVars(cfg.defaultExpr, env) || '0';
  let grubEnv: string | undefined;
  const next = env.get('next_entry');
  if (cfg.honoursNextEntry && next) {
    spec = next;
    env.set('next_entry', '');
    grubEnv = setGrubEnvVar(inputs.grubEnv ?? '', 'next_entry', '');
  }
  // The same header, further down (GRUB 2.06 00_header): a prev_saved_entry that grub-reboot
  // kept becomes saved_entry again and is cleared, for the boots after this one.
  const prev = env.get('prev_saved_entry');
  if (cfg.honoursNextEntry && prev) {
    env.set('saved_entry', prev);
    env.set('prev_saved_entry', '');
    grubEnv = setGrubEnvVar(setGrubEnvVar(grubEnv ?? inputs.grubEnv ?? '', 'saved_entry', prev), 'prev_saved_entry', '');
  }
  const entry = resolveEntry(cfg.menu, spec);
  // grub.cfg's own value of a variable grubenv does not set (EL8's fallback kernelopts).
  for (const [name, value] of cfg.unsetDefaults) if (!env.get(name)) env.set(name, value);
  const cmdline = entry?.linux
    ? // GRUB splits an unquoted expansion into words: an empty $tuned_params leaves no gap.
      `BOOT_IMAGE=${entry.linux.image} ${expandGrubVars(entry.linux.args, env).split(/\s+/).filter((w) => w !== '').join(' ')}`.trim()
    : (inputs.lastCmdline ?? FALLBACK_CMDLINE);
  const choice: BootChoice = {
    cmdline,
    ...(grubEnv !== undefined ? { grubEnv } : {}),
    entry: entry?.title ?? '(no entry)',
    panics: false,
    panicSeconds: 0,
  };
  if (inputs.badCmdline && inputs.lastGoodCmdline && !sameParams(cmdline, inputs.lastGoodCmdline)) {
    // After one panic the firmware falls back to what booted last time.
    if (inputs.retry) return { ...choice, cmdline: inputs.lastGoodCmdline, entry: '(fallback: last good cmdline)' };
    return { ...choice, panics: true, panicSeconds: panicSeconds(cmdline) };
  }
  return choice;
}
