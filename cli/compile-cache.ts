// Node's compile cache, kept only where nobody but us can write. Node runs the code it finds in
// its cache for a module whose source matches: a cache another user can plant entries in (Node's
// default, os.tmpdir()/node-compile-cache, which anyone can create first) runs their code as root.
// This module is loaded before the cache is on: it imports only Node's own modules and the check.
import { enableCompileCache } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ancestorProblem, makePrivateDir, privateDirProblem } from '../state/private-dir.ts';

/** $XDG_CACHE_HOME (absolute) or, for root, /var/cache, else ~/.cache; then sriov-lxc/node-compile-cache. */
export function compileCacheDir(env: NodeJS.ProcessEnv, uid: number, homeDir: string): string {
  const xdg = env['XDG_CACHE_HOME'];
  const base = xdg !== undefined && path.isAbsolute(xdg) ? xdg : uid === 0 ? '/var/cache' : path.join(homeDir, '.cache');
  return path.join(base, 'sriov-lxc', 'node-compile-cache');
}

export type CompileCacheChoice = { dir: string; problem?: undefined } | { dir?: undefined; problem: string };

/**
 * The cache directory, created 0700 when missing, when it and every directory above it can be
 * written by nobody but root and us; else why not (the cache then stays off).
 */
export function trustedCompileCacheDir(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? -1, homeDir = os.homedir()): CompileCacheChoice {
  const dir = compileCacheDir(env, uid, homeDir);
  // Checked before creating anything (nothing is created through a link another user planted)
  // and again after, when every directory exists.
  const before = ancestorProblem(dir, uid, { missingOk: true });
  if (before !== undefined) return { problem: before };
  try {
    makePrivateDir(dir);
  } catch (error) {
    return { problem: `${dir}: ${(error as Error).message}` };
  }
  const above = ancestorProblem(path.dirname(dir), uid);
  if (above !== undefined) return { problem: above };
  for (const d of [path.dirname(dir), dir]) {
    const problem = privateDirProblem(d, uid);
    if (problem !== undefined) return { problem: `${d}: ${problem}` };
  }
  return { dir };
}

/** Turns the cache on in the trusted directory; leaves it off (silently: it is only a speed-up) otherwise. */
export function enableTrustedCompileCache(): CompileCacheChoice {
  const choice = trustedCompileCacheDir();
  if (choice.dir !== undefined) enableCompileCache(choice.dir);
  return choice;
}
