// Versions of a node's base system that decide what the tool can do there: glibc
// (`getconf GNU_LIBC_VERSION`, "glibc 2.17") and systemd (`systemctl --version`, first line
// "systemd 219" on CentOS 7, "systemd 252 (252.22-1~deb12u1)" on Debian 12).
import { ParseError, excerpt } from './parse-error.ts';

/** [major, minor] of `getconf GNU_LIBC_VERSION`'s output. */
export function parseGlibcVersion(text: string): [number, number] {
  const m = /^glibc (\d+)\.(\d+)/.exec(text.trim());
  if (!m) throw new ParseError(`not a glibc version: ${excerpt(text)}`, { hint: 'expected the output of `getconf GNU_LIBC_VERSION`' });
  return [Number(m[1]), Number(m[2])];
}

/** The version number of `systemctl --version`'s first line. */
export function parseSystemdVersion(text: string): number {
  const m = /^systemd (\d+)\b/.exec(text.trim());
  if (!m) throw new ParseError(`not a systemd version: ${excerpt(text)}`, { hint: 'expected the output of `systemctl --version`' });
  return Number(m[1]);
}
