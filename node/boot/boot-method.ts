// Which boot method this node has, decided from what the node has (not from a distro name):
// Boot Loader Specification entries managed by grubby (/boot/loader/entries, grubby, a grub.cfg that
// runs `blscfg`), EL8's reading grubenv's kernelopts (an entry whose options say `$kernelopts`) or
// EL9's with their own options, GRUB with /etc/default/grub.d drop-ins (where the directory exists
// and the node's grub-mkconfig reads it after /etc/default/grub: Debian's, Ubuntu's), or
// GRUB_CMDLINE_LINUX in /etc/default/grub alone (CentOS 7). Detected once per run (per Host).
// A new method is one file (method-*.ts) and one line in methods().
import type { Host } from '../../hosts/host.ts';
import { FatalError } from '../../core/errors.ts';
import type { BootMethod } from './method.ts';
import { BLS_DIR, blsMethod } from './method-bls.ts';
import { blsKerneloptsMethod } from './method-bls-kernelopts.ts';
import { grubDropinMethod } from './method-grub-dropin.ts';
import { grubDefaultsMethod } from './method-grub-defaults.ts';

export type { BootMethod, BootMethodName } from './method.ts';

export const DETECT_BOOT_METHOD: readonly string[] = [
  'sh',
  '-c',
  'test -d /boot/loader/entries && echo entries; command -v grubby > /dev/null 2>&1 && echo grubby; test -d /etc/default/grub.d && echo grub.d; ' +
    // Debian's grub-mkconfig patch sources /etc/default/grub.d/*.cfg; upstream's and RHEL's do not.
    'for m in grub-mkconfig grub2-mkconfig; do p=$(command -v "$m") && grep -q "/default/grub.d/" "$p" && echo reads-grub.d && break; done; ' +
    // EL8: entries whose options read grubenv's kernelopts.
    'grep -qs "^options.*[$]kernelopts" /boot/loader/entries/*.conf && echo kernelopts; exit 0',
];

/** What the probe found on the node, and whether grub.cfg loads BLS entries. */
export interface MethodProbe {
  found: readonly string[];
  blscfg: boolean;
}

/** In the order they are tried; the first whose signs the node shows is its method. (A function: the methods import the reader that imports this file.) */
const methods = (): readonly { method: BootMethod; applies: (p: MethodProbe) => boolean }[] => [
  { method: blsKerneloptsMethod, applies: (p) => p.blscfg && p.found.includes('entries') && p.found.includes('grubby') && p.found.includes('kernelopts') },
  { method: blsMethod, applies: (p) => p.blscfg && p.found.includes('entries') && p.found.includes('grubby') },
  { method: grubDropinMethod, applies: (p) => !p.blscfg && p.found.includes('grub.d') && p.found.includes('reads-grub.d') },
  { method: grubDefaultsMethod, applies: (p) => !p.blscfg },
];

export async function detectBootMethod(host: Host, grubCfg: string | undefined): Promise<BootMethod> {
  const found = (await host.run(DETECT_BOOT_METHOD)).stdout.split(/\s+/);
  const probe = { found, blscfg: grubCfg !== undefined && /^\s*blscfg\s*$/m.test(grubCfg) };
  const match = methods().find((m) => m.applies(probe));
  if (match) return match.method;
  throw new FatalError(`${host.name}: its grub.cfg loads Boot Loader Specification entries (blscfg), but ${found.includes('entries') ? 'grubby is not installed' : `${BLS_DIR} does not exist`}`, {
    hint: 'install grubby (dnf install grubby), which manages the entries\' kernel params, then run again',
  });
}

const detected = new WeakMap<Host, BootMethod>();

/** The method detected for this Host in this run, if any yet (its reads can go in the first round trip). */
export function knownBootMethod(host: Host): BootMethod | undefined {
  return detected.get(host);
}

/** The node's method, detected on the first call for this Host (one run) and remembered. */
export async function bootMethodOf(host: Host, grubCfg: string | undefined): Promise<BootMethod> {
  const known = detected.get(host);
  if (known) return known;
  const method = await detectBootMethod(host, grubCfg);
  detected.set(host, method);
  return method;
}
