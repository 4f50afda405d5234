// Which boot entry the next boot starts, the way GRUB's 00_header picks it: a one-shot next_entry
// from grubenv first, else GRUB_DEFAULT (or saved_entry when it is `saved`); a reference that
// matches nothing falls back to the first entry. An entry that boots no Linux kernel (the UEFI
// firmware settings, a chainloader) is never taken as the default nor copied: that is an error.
// Pure.
import { FatalError } from '../../core/errors.ts';
import { findGrubEntry, type GrubMenuEntry } from '../parse/grub-cfg.ts';

export interface BootEntry {
  entry: GrubMenuEntry;
  /** Where the choice came from, for messages. */
  chosenBy: string;
}

/**
 * `entries`: grub.cfg's menu entries or the BLS entries, in menu order; `where` names them for
 * messages; `cfgText` is grub.cfg (for the hint when it has no entries).
 */
export function nextBootEntry(
  entries: readonly GrubMenuEntry[],
  where: string,
  cfgText: string | undefined,
  grubDefault: string | null | undefined,
  env: Readonly<Record<string, string>>,
): BootEntry {
  const [first] = entries;
  if (!entries.some((e) => e.kernel !== null) || !first) {
    const bls = cfgText !== undefined && /^\s*blscfg\b/m.test(cfgText);
    const only = entries.length > 0 ? ` (only ${entries.map((e) => `"${e.title}"`).join(', ')}, which boot no Linux kernel)` : '';
    throw new FatalError(`${where} has no Linux boot entries${only}${bls ? '; it loads Boot Loader Specification entries (blscfg), but grubby is not there to manage them' : ''}`, {
      hint: bls ? 'install grubby (dnf install grubby), then run again' : 'regenerate it (update-grub / grub2-mkconfig) and check it lists the installed kernels',
    });
  }
  let ref: string;
  let chosenBy: string;
  if (env.next_entry) {
    ref = env.next_entry;
    chosenBy = `next_entry=${ref} (one-shot) in grubenv`;
  } else if (grubDefault === 'saved') {
    ref = env.saved_entry ?? '0';
    chosenBy = `GRUB_DEFAULT=saved, saved_entry=${ref}`;
  } else {
    ref = grubDefault ?? '0';
    chosenBy = `GRUB_DEFAULT=${ref}`;
  }
  const found = findGrubEntry(entries, ref);
  const choice = found ? { entry: found, chosenBy } : { entry: first, chosenBy: `${chosenBy} matches no entry, so the first one` };
  if (choice.entry.kernel === null) {
    throw new FatalError(`${where}: the boot entry "${choice.entry.title}" (${choice.chosenBy}) boots no Linux kernel`, {
      hint: 'point the default (GRUB_DEFAULT, or saved_entry with grub-set-default / grub2-set-default) at the Linux entry the node normally boots, then run again',
    });
  }
  return choice;
}
