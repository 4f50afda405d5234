// Can GRUB itself write the environment block at boot? A trial boot depends on it: GRUB clears
// the one-shot next_entry (save_env) before it starts the trial kernel, so that a panic reboots
// into the default entry. Where it cannot write, next_entry stays and every boot starts the trial
// entry again: `grub-reboot` prints a warning for LVM/RAID and goes on; we stop. Pure.

// GRUB 2.06's own list (00_header, check_writable): no write support on these abstractions and
// file systems. GRUB's cryptodisk has no write support either.
const NO_WRITE_ABSTRACTIONS = new Set(['diskfilter', 'lvm', 'cryptodisk']);
const NO_WRITE_FS = new Set(['btrfs', 'cpiofs', 'newc', 'odc', 'romfs', 'squash4', 'tarfs', 'zfs']);

/** What `grub-probe --target=fs` and `--target=abstraction` say about the grubenv's directory. */
export interface GrubenvDevice {
  fs: string;
  abstractions: string[];
}

export function parseProbeWords(stdout: string): string[] {
  return stdout.split(/\s+/).filter((w) => w !== '');
}

/** Why GRUB cannot write `grubenvPath` at boot, or undefined when it can. */
export function grubenvBootWriteProblem(grubenvPath: string, device: GrubenvDevice): string | undefined {
  const abstraction = device.abstractions.find((a) => NO_WRITE_ABSTRACTIONS.has(a));
  if (abstraction) return `${grubenvPath} is on ${device.abstractions.join(' ')} storage, which GRUB cannot write at boot`;
  if (NO_WRITE_FS.has(device.fs)) return `${grubenvPath} is on ${device.fs}, which GRUB cannot write at boot`;
  return undefined;
}

/** A grubenv file as grub-editenv writes it: the header line and exactly 1024 bytes. */
export function grubenvFileProblem(grubenvPath: string, content: string | undefined): string | undefined {
  if (content === undefined) return undefined;
  if (!content.startsWith('# GRUB Environment Block\n')) return `${grubenvPath} is not a GRUB environment block (its first line is not "# GRUB Environment Block")`;
  const size = Buffer.byteLength(content);
  if (size !== 1024) return `${grubenvPath} is ${size} bytes, not the 1024 of a GRUB environment block (edited by hand?)`;
  return undefined;
}
