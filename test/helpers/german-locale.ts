// A German locale for tests of locale-independence: this machine has coreutils' German messages
// (/usr/share/locale/de) but no de_DE locale generated, so one is compiled with localedef into a
// private directory that glibc reads through LOCPATH.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

let dir: string | undefined;

/** LANG=de_DE.UTF-8 with LOCPATH pointing at a compiled de_DE.UTF-8 (made once per process). */
export function germanLocaleEnv(): { LANG: string; LOCPATH: string } {
  if (dir === undefined || !existsSync(join(dir, 'de_DE.UTF-8'))) {
    const made = mkdtempSync('/tmp/sriov-lxc-locale-');
    dir = made;
    // Each test process compiles its own; none is left in /tmp when the process ends.
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
    execFileSync('localedef', ['-i', 'de_DE', '-f', 'UTF-8', join(dir, 'de_DE.UTF-8')], { stdio: 'ignore' });
  }
  return { LANG: 'de_DE.UTF-8', LOCPATH: dir };
}
