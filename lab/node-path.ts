// Paths a node controls, as host code (the supervisor, as root) reaches them on the node's disk: a
// node writes its own /boot, so a `..` or a link there must not lead host code out of the disk
// (the EFI stub's configfile names the directory where the supervisor writes grubenv).
import { closeSync, constants, existsSync, openSync, realpathSync, writeSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, relative, sep } from 'node:path';

const within = (root: string, path: string): boolean => path === root || path.startsWith(`${root}${sep}`);

/**
 * `rel` (a path of the node's) on the disk `disk`, or undefined when it leaves the disk: by `..`, or by a link the node made (a link inside the disk, such as
 * boot/grub -> grub2, is followed; one to an absolute path of the host is not).
 */
export function onNodeDisk(disk: string, rel: string): string | undefined {
  const path = join(disk, normalize(`/${rel}`));
  const lexical = relative(disk, path);
  if (lexical.startsWith('..') || isAbsolute(lexical)) return undefined;
  const root = realpathSync(disk);
  // The path itself, or the deepest part of it that exists, with its links resolved, must be on the disk.
  let existing = path;
  while (!existsSync(existing)) existing = dirname(existing);
  if (!within(root, realpathSync(existing))) return undefined;
  return path;
}

/**
 * Writes a file the node can reach (on its disk, or in the boot's run directory it has mounted)
 * without following a link the node may have put in its place (O_NOFOLLOW); in place, so a bind
 * mount of it in the node (/proc/cpuinfo) sees the new text.
 */
export function writeNodeFile(path: string, text: string): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}
