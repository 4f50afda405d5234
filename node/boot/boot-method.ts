// How this node gives its kernel its params, decided from what the node has (not from a distro
// name): Boot Loader Specification entries managed by grubby (EL8+: /boot/loader/entries, grubby,
// a grub.cfg that runs `blscfg`), GRUB with /etc/default/grub.d drop-ins (where the directory
// exists and the node's grub-mkconfig reads it after /etc/default/grub: Debian's, Ubuntu's), or
// GRUB_CMDLINE_LINUX in /etc/default/grub alone (CentOS 7).
import type { Host } from '../../hosts/host.ts';
import { FatalError } from '../../core/errors.ts';
import type { HostPlan } from '../../inventory/plan.ts';
import { grubVar } from '../parse/grub-default.ts';
import { effectiveValues, lastSetters, parseGrubDefaultsTrace, type GrubDefaultsTrace } from '../parse/grub-defaults-trace.ts';
import { shellQuote } from '../../hosts/quote.ts';
import { GRUB_DEFAULTS, editGrubDefaults } from './grub-defaults.ts';

export type BootMethod = 'bls' | 'grub-dropin' | 'grub-defaults';

export const GRUB_DROPIN_DIR = '/etc/default/grub.d';
/** Ours: 99 sorts after the distro's and the image's drop-ins (50-cloudimg-settings.cfg), so it has the last word. */
export const GRUB_DROPIN = `${GRUB_DROPIN_DIR}/99-sriov-lxc.cfg`;
export const KERNEL_CMDLINE = '/etc/kernel/cmdline';
export const BLS_DIR = '/boot/loader/entries';

export const DETECT_BOOT_METHOD: readonly string[] = [
  'sh',
  '-c',
  'test -d /boot/loader/entries && echo entries; command -v grubby > /dev/null 2>&1 && echo grubby; test -d /etc/default/grub.d && echo grub.d; ' +
    // Debian's grub-mkconfig patch sources /etc/default/grub.d/*.cfg; upstream's and RHEL's do not.
    'for m in grub-mkconfig grub2-mkconfig; do p=$(command -v "$m") && grep -q "/default/grub.d/" "$p" && echo reads-grub.d && break; done; exit 0',
];

export async function detectBootMethod(host: Host, grubCfg: string | undefined): Promise<BootMethod> {
  const found = (await host.run(DETECT_BOOT_METHOD)).stdout.split(/\s+/);
  const blscfg = grubCfg !== undefined && /^\s*blscfg\s*$/m.test(grubCfg);
  if (blscfg && found.includes('entries') && found.includes('grubby')) return 'bls';
  if (blscfg) {
    throw new FatalError(`${host.name}: its grub.cfg loads Boot Loader Specification entries (blscfg), but ${found.includes('entries') ? 'grubby is not installed' : `${BLS_DIR} does not exist`}`, {
      hint: 'install grubby (dnf install grubby), which manages the entries\' kernel params, then run again',
    });
  }
  return found.includes('grub.d') && found.includes('reads-grub.d') ? 'grub-dropin' : 'grub-defaults';
}

// grub-mkconfig's reading of the defaults (util/grub-mkconfig.in): /etc/default/grub, then
// /etc/default/grub.d/*.cfg in glob order. Each chain runs in a subshell; its output goes nowhere.
const TRACE = `own=$1
step() { printf '%s\\0%s\\0%s\\0%s\\0' "$1" "$2" "\${GRUB_CMDLINE_LINUX-}" "\${GRUB_CMDLINE_LINUX_DEFAULT-}"; }
chain() {
  if [ -f /etc/default/grub ]; then . /etc/default/grub > /dev/null 2>&1 < /dev/null; fi
  step "$1" /etc/default/grub
  for x in /etc/default/grub.d/*.cfg; do
    [ -e "$x" ] || continue
    if [ "$1" = base ] && [ "$x" = "$own" ]; then continue; fi
    . "$x" > /dev/null 2>&1 < /dev/null
    step "$1" "$x"
  done
}
(chain base) && (chain full) && printf 'end\\0'`;

export async function traceGrubDefaults(host: Host): Promise<GrubDefaultsTrace> {
  const result = await host.exec(['sh', '-c', TRACE, 'sh', GRUB_DROPIN], { env: { LC_ALL: 'C' } });
  return parseGrubDefaultsTrace(result.stdout);
}

/** Our drop-in: both variables as the plan wants them, from what every other file makes of them. */
export function renderDropin(trace: GrubDefaultsTrace, plan: HostPlan): string {
  const base = effectiveValues(trace.base);
  const synthetic = `GRUB_CMDLINE_LINUX=${shellQuote(base.linux)}\nGRUB_CMDLINE_LINUX_DEFAULT=${shellQuote(base.linuxDefault)}\n`;
  const edited = editGrubDefaults(synthetic, plan).text;
  const linux = grubVar(edited, 'GRUB_CMDLINE_LINUX') ?? '';
  const linuxDefault = grubVar(edited, 'GRUB_CMDLINE_LINUX_DEFAULT') ?? '';
  const setters = lastSetters(trace.base);
  return [
    '# Written by sriov-lxc: the kernel params of its inventory. grub-mkconfig reads this file after',
    `# ${GRUB_DEFAULTS} and the other ${GRUB_DROPIN_DIR}/*.cfg (name order), so these values are the ones`,
    `# it uses: GRUB_CMDLINE_LINUX as ${setters.linux ?? GRUB_DEFAULTS} set it, GRUB_CMDLINE_LINUX_DEFAULT as`,
    `# ${setters.linuxDefault ?? GRUB_DEFAULTS} set it, with the params set. Change them in the inventory, not here.`,
    `GRUB_CMDLINE_LINUX=${shellQuote(linux)}`,
    `GRUB_CMDLINE_LINUX_DEFAULT=${shellQuote(linuxDefault)}`,
    '',
  ].join('\n');
}

/** The files read after ours that change what it sets (they would undo the params). */
export function overridesAfterDropin(trace: GrubDefaultsTrace): string[] {
  const at = trace.full.findIndex((s) => s.file === GRUB_DROPIN);
  if (at < 0) return [];
  return trace.full.slice(at + 1).filter((s, i) => {
    const before = trace.full[at + i] as (typeof trace.full)[number];
    return s.linux !== before.linux || s.linuxDefault !== before.linuxDefault;
  }).map((s) => s.file);
}

/** In words: which files other than /etc/default/grub set the variables (an override noticed). */
export function describeOverrides(trace: GrubDefaultsTrace): string[] {
  const setters = lastSetters(trace.base);
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
