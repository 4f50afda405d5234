// The run's private directory in the benchmark directory, as commands.ts WORK_DIR_SCRIPT reports
// it: checked before anything is written there (a directory, not a link, ours, 0700).
import { posix } from 'node:path';
import { WORK_DIR_PREFIX } from './commands.ts';

export type WorkDirCheck = { ok: true; path: string } | { ok: false; problem: string };

/**
 * The script's output: the path mktemp -d printed, `id -u`, and `stat -c '%F|%u|%a'` of the path
 * (no link followed). Output format as GNU coreutils prints it (Debian 12's 9.1, captured in
 * test/unit/benchmark/work-dir.test.ts; CentOS 7's 8.22 prints the same fields).
 */
export function checkWorkDir(stdout: string, directory: string): WorkDirCheck {
  const [printed = '', uid = '', stat = ''] = stdout.split('\n');
  const path = posix.normalize(printed);
  if (posix.dirname(path) !== posix.normalize(`${directory}/.`) || !posix.basename(path).startsWith(WORK_DIR_PREFIX)) {
    return { ok: false, problem: `mktemp -d printed ${JSON.stringify(printed)}, not a directory in ${directory}` };
  }
  const [type, owner, mode] = stat.split('|');
  if (type !== 'directory') return { ok: false, problem: `${path} is not a directory but ${JSON.stringify(type ?? '')}` };
  if (owner !== uid || !/^\d+$/.test(uid)) return { ok: false, problem: `${path} is owned by uid ${owner}, not by uid ${uid} (ours)` };
  if (mode !== '700') return { ok: false, problem: `${path} has mode ${mode}, not 700` };
  return { ok: true, path };
}
