// The tc htb rate limit of paper appendix A, on the VF inside the container: a root htb qdisc
// whose default class 1:11 sits under 1:1, both at the planned rate. The paper's commands left the
// quantum to htb (rate / r2q), which is below one frame for small rates ("quantum of class 10001
// is small") and above htb's limit for 10gbit; an explicit quantum avoids both.
import { ParseError } from '../parse/parse-error.ts';

// tc's rate units (tc/tc_util.c get_rate64), as the inventory schema accepts them: bits or bytes.
const UNITS: Readonly<Record<string, number>> = {
  bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9, tbit: 1e12,
  bps: 8, kbps: 8e3, mbps: 8e6, gbps: 8e9, tbps: 8e12,
};

/** A tc rate ("10gbit", "1kbps") in bits per second. */
export function rateBits(rate: string): number {
  const m = /^(\d+(?:\.\d+)?)([a-z]+)$/.exec(rate);
  const scale = m ? UNITS[m[2] as string] : undefined;
  if (!m || scale === undefined) throw new ParseError(`not a tc rate: ${rate}`, { hint: 'write it like 500mbit or 10gbit' });
  return Number(m[1]) * scale;
}

/** One full frame per round at least, at most htb's limit (200000 bytes). */
export function htbQuantum(rate: string): number {
  return Math.min(200_000, Math.max(1514, Math.floor(rateBits(rate) / 8 / 10)));
}

/** The tc commands (argv, run in the container's network namespace) that set the limit. */
export function rateCommands(ifname: string, rate: string): string[][] {
  const quantum = String(htbQuantum(rate));
  return [
    ['tc', 'qdisc', 'replace', 'dev', ifname, 'root', 'handle', '1:', 'htb', 'default', '11'],
    ['tc', 'class', 'replace', 'dev', ifname, 'parent', '1:', 'classid', '1:1', 'htb', 'rate', rate, 'quantum', quantum],
    ['tc', 'class', 'replace', 'dev', ifname, 'parent', '1:1', 'classid', '1:11', 'htb', 'rate', rate, 'quantum', quantum],
  ];
}

/**
 * `tc qdisc show dev IF` (text: every iproute2 release prints it; `tc -j` came with 4.15 and CentOS
 * 7's 4.11 refuses it): the root qdisc is our htb, handle 1:, default class 11. tc/q_htb.c prints
 * the default class in hex, "default 11" up to 4.x and "default 0x11" since.
 */
export function hasOurRootQdisc(text: string): boolean {
  return text.split('\n').some((line) => {
    const m = /^qdisc htb 1: root\b.*\bdefault (?:0x)?([0-9a-f]+)\b/.exec(line);
    return m !== null && Number.parseInt(m[1] as string, 16) === 0x11;
  });
}

const PRINTED_SCALE: Readonly<Record<string, number>> = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/**
 * The rate of each htb class in `tc class show dev IF` (text: iproute2 prints htb classes without
 * JSON), in bits per second, by class id.
 */
export function htbClassRates(text: string): Map<string, number> {
  const rates = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^class htb (\S+) .*?\brate (\d+(?:\.\d+)?)([KMGT]?)bit\b/.exec(line);
    if (m) rates.set(m[1] as string, Number(m[2]) * (PRINTED_SCALE[m[3] as string] ?? 1));
  }
  return rates;
}

/** Whether both classes run at `rate` (tc prints it rounded to its unit: 0.5 % tolerance). */
export function classesAtRate(classText: string, rate: string): boolean {
  const want = rateBits(rate);
  const rates = htbClassRates(classText);
  return ['1:1', '1:11'].every((id) => {
    const have = rates.get(id);
    return have !== undefined && Math.abs(have - want) <= want * 0.005;
  });
}
