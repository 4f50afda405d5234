// `ip -V`: "ip utility, iproute2-ss170501" (snapshot dates until 4.x: CentOS 7's 3.10 is ss130716,
// its 4.11 ss170501) or "ip utility, iproute2-6.1.0, libbpf 1.1.2" (releases since 5.x).
import { ParseError, excerpt } from './parse-error.ts';

export function parseIprouteVersion(text: string): string {
  const m = /^ip utility, iproute2-([^\s,]+)/m.exec(text);
  if (!m) throw new ParseError(`ip -V printed no iproute2 version: ${excerpt(text)}`, { hint: 'install iproute2 (the `ip` command) on the node' });
  return m[1] as string;
}

/** Whether `ip` refused `-j` the way iproute2 before 4.14 does (ip/ip.c: unknown option, exit 255). */
export function isUnknownJsonOption(stderr: string): boolean {
  return /^Option "-j(son)?" is unknown/m.test(stderr);
}
