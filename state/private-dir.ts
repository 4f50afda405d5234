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
 * found at `dir`); undefined when nobody but root and `uid` can. Each ancestor must be a directory
 * owned by root or `uid`, and writable by nobody else, unless it is root's and sticky like /tmp
 * (others cannot rename or remove what is ours in it). A link on the way (/home -> /data/home) is
 * followed only when root or `uid` owns it (its directory is checked already), and where it leads
 * is checked the same way. `missingOk`: a missing ancestor ends the check (before creating them).
 */
export function ancestorProblem(dir: string, uid: number, options: { missingOk?: boolean } = {}): string | undefined {
  const names = path.resolve(dir).split(path.sep).filter((n) => n !== '').slice(0, -1);
  let current: string = path.sep;
  const rootProblem = directoryProblem(current, uid);
  if (rootProblem !== undefined) return rootProblem;
  for (const name of names) {
    const next = path.join(current, name);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(next);
    } catch (error) {
      // Not there yet: what we create below it is ours (makePrivateDir), checked after.
      if (options.missingOk === true && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return `${next}: cannot inspect it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
    }
    if (stat.isSymbolicLink()) {
      if (stat.uid !== 0 && stat.uid !== uid) return `${next} is a symbolic link owned by uid ${stat.uid}`;
      let target: string;
      try {
        target = fs.realpathSync(next);
      } catch (error) {
        if (options.missingOk === true && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        return `${next}: cannot resolve the link (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
      }
      // The resolved path has no links: one level of recursion.
      const above = ancestorProblem(path.join(target, 'x'), uid);
      if (above !== undefined) return above;
      current = target;
    } else {
      current = next;
    }
    const problem = directoryProblem(current, uid);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** Why `dir` (lstat) lets someone other than root and `uid` replace what is in it. */
function directoryProblem(dir: string, uid: number): string | undefined {
  const stat = fs.lstatSync(dir);
  if (!stat.isDirectory()) return `${dir} is not a directory`;
  if (stat.uid !== 0 && stat.uid !== uid) return `${dir} is owned by uid ${stat.uid}`;
  const sticky = (stat.mode & 0o1000) !== 0;
  if ((stat.mode & 0o022) !== 0 && !(sticky && stat.uid === 0)) {
    return `${dir} has mode ${modeText(stat.mode)}: writable by ${writers(stat.mode)}`;
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
