// Directories that only we may write: the state dir and Node's compile cache. Root reads and
// writes there, so a directory another user owns or can write (or a link one planted in its
// place) would let that user choose what root writes, or what root runs.
// Every check is of the entry itself (lstat): a symbolic link is never followed.

import fs from 'node:fs';
import path from 'node:path';

/** Why `dir` is not a directory of `uid` that only `uid` can write; undefined when it is. */
export function privateDirProblem(dir: string, uid: number): string | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(dir);
  } catch (error) {
    return `cannot inspect it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  if (stat.isSymbolicLink()) return 'it is a symbolic link';
  if (!stat.isDirectory()) return 'it is not a directory';
  if (stat.uid !== uid) return `it is owned by uid ${stat.uid}, not by uid ${uid} (this process)`;
  if ((stat.mode & 0o022) !== 0) return `its mode is ${modeText(stat.mode)}: writable by ${writers(stat.mode)}`;
  return undefined;
}

/**
 * Why another user could replace `dir` or one of the directories above it (and so choose what is
 * found at `dir`); undefined when nobody but root and `uid` can. Each ancestor must be a real
 * directory (not a link) owned by root or `uid`, and writable by nobody else, unless it is
 * root's and sticky like /tmp (others cannot rename or remove what is ours in it). `missingOk`:
 * a missing ancestor ends the check (before creating them).
 */
export function ancestorProblem(dir: string, uid: number, options: { missingOk?: boolean } = {}): string | undefined {
  const absolute = path.resolve(dir);
  const ancestors: string[] = [];
  for (let p = path.dirname(absolute); ; p = path.dirname(p)) {
    ancestors.unshift(p);
    if (p === path.dirname(p)) break;
  }
  for (const ancestor of ancestors) {
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(ancestor);
    } catch (error) {
      // Not there yet: what we create below it is ours (makePrivateDir), checked after.
      if (options.missingOk === true && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return `${ancestor}: cannot inspect it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
    }
    if (stat.isSymbolicLink()) return `${ancestor} is a symbolic link`;
    if (!stat.isDirectory()) return `${ancestor} is not a directory`;
    if (stat.uid !== 0 && stat.uid !== uid) return `${ancestor} is owned by uid ${stat.uid}`;
    const sticky = (stat.mode & 0o1000) !== 0;
    if ((stat.mode & 0o022) !== 0 && !(sticky && stat.uid === 0)) {
      return `${ancestor} has mode ${modeText(stat.mode)}: writable by ${writers(stat.mode)}`;
    }
  }
  return undefined;
}

/** Create `dir` (and missing parents) 0700 when missing; never changes an existing one. */
export function makePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

export function modeText(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

function writers(mode: number): string {
  const who = [(mode & 0o020) !== 0 ? 'its group' : '', (mode & 0o002) !== 0 ? 'everyone' : ''].filter((w) => w !== '');
  return who.join(' and ');
}
