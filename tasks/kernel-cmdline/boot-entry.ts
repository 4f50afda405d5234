// Which entry of the generated grub.cfg the next boot starts, the way GRUB's 00_header picks it:
// a one-shot next_entry from grubenv first, else GRUB_DEFAULT (or saved_entry when it is `saved`);
// a reference that matches nothing falls back to the first entry. Pure.
import { FatalError } from '../../core/errors.ts';
import { findGrubEntry, parseGrubCfg, type GrubMenuEntry } from '../parse/grub-cfg.ts';

export interface BootEntry {
  entry: GrubMenuEntry;
  /** Where the choice came from, for messages. */
  chosenBy: string;
}

export function nextBootEntry(cfgText: string, cfgPath: string, grubDefault: string | null | undefined, env: Readonly<Record<string, string>>): BootEntry {
  const entries = parseGrubCfg(cfgText);
  const [first] = entries;
  if (!first) {
    const bls = /^\s*blscfg\b/m.test(cfgText);
    throw new FatalError(`${cfgPath} has no menu entries${bls ? ' (it loads Boot Loader Specification entries: RHEL 8 and later)' : ''}`, {
      hint: bls
        ? 'BLS boot entries are not supported yet: add the params with `grubby --update-kernel=ALL --args="..."`, then run again'
        : 'regenerate it (update-grub / grub2-mkconfig) and check it lists the installed kernels',
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
  const entry = findGrubEntry(entries, ref);
  return entry ? { entry, chosenBy } : { entry: first, chosenBy: `${chosenBy} matches no entry, so the first one` };
}
