// The grub.d method's probe (method-grub-dropin.ts's TRACE) run by the real sh on a node's
// /etc/default files, copied under a private directory: every file is sourced as grub-mkconfig
// sources it, and the output reads as if it ran on the node.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** `argv` (the probe: sh -c TRACE sh OURS PLANNED TEXT) on `files` (path → text; those under /etc/default/ count). */
export function runGrubTrace(files: Iterable<[string, string]>, argv: readonly string[]): { stdout: string } {
  const root = mkdtempSync(join(tmpdir(), 'sriov-lxc-dropin-'));
  try {
    mkdirSync(join(root, 'etc/default/grub.d'), { recursive: true });
    for (const [path, content] of files) {
      if (!path.startsWith('/etc/default/')) continue;
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    }
    const moved = (s: string): string => s.replaceAll('/etc/default/grub', `${root}/etc/default/grub`);
    const stdout = execFileSync('sh', ['-c', moved(argv[2]!), 'sh', moved(argv[4]!), argv[5]!, argv[6]!], { encoding: 'utf8', env: { PATH: process.env.PATH, LC_ALL: 'C' } });
    return { stdout: stdout.replaceAll(`${root}/`, '/') };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Whether a command is the probe. */
export const isGrubTrace = (argv: readonly string[]): boolean => argv[0] === 'sh' && argv[1] === '-c' && String(argv[2]).includes('step()');
