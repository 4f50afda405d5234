// The node's systemd release, which decides what a unit file may say (`systemctl --version`,
// first line "systemd 219" on CentOS 7, "systemd 252 (252.22-1~deb12u1)" on Debian 12).
import { ParseError, excerpt } from './parse-error.ts';

/** The version number of `systemctl --version`'s first line. */
export function parseSystemdVersion(text: string): number {
  const m = /^systemd (\d+)\b/.exec(text.trim());
  if (!m) throw new ParseError(`not a systemd version: ${excerpt(text)}`, { hint: 'expected the output of `systemctl --version`' });
  return Number(m[1]);
}
