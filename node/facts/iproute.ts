// What the node's iproute2 can do, learnt once per host by vf-verify (the first stage that runs
// `ip`) and kept in its outputs, like bios-verify keeps the distro: its version and whether `ip -j`
// exists. JSON came with iproute2 4.14; CentOS 7's 3.10 and 4.11 refuse `-j` (`Option "-j" is
// unknown, try "ip -help".`, exit 255) and print only text. The parsers in node/parse/ read both.
import type { Host } from '../../hosts/host.ts';
import type { Read } from '../../hosts/observing-host.ts';
import { FatalError, tail } from '../../core/errors.ts';
import { isUnknownJsonOption, parseIprouteVersion } from '../parse/iproute-version.ts';
import type { OutputKey } from '../../core/outputs.ts';

export interface Iproute {
  /** As `ip -V` names it: "6.1.0", "ss170501". */
  version: string;
  /** `ip -j` works (link and addr; route and tc may still print text, which the parsers take). */
  json: boolean;
}

const VERSION_ARGV = ['ip', '-V'];
const JSON_PROBE_ARGV = ['ip', '-j', 'link', 'show', 'lo'];

/** What probeIproute reads, for a batched observation. */
export const IPROUTE_PROBE_READS: readonly Read[] = [{ argv: VERSION_ARGV }, { argv: JSON_PROBE_ARGV }];

export async function probeIproute(host: Host): Promise<Iproute> {
  const version = parseIprouteVersion((await host.run(VERSION_ARGV)).stdout);
  const probe = await host.exec(JSON_PROBE_ARGV);
  if (probe.code === 0 && probe.stdout.trimStart().startsWith('[')) return { version, json: true };
  if (isUnknownJsonOption(probe.stderr)) return { version, json: false };
  throw new FatalError(`${host.name}: \`ip -j link show lo\` failed (exit ${probe.code}): ${tail(probe.stderr, 2)}`, {
    hint: 'check that iproute2 works on the node (`ip link show`)',
  });
}

export function isIproute(value: unknown): value is Iproute {
  const v = value as Partial<Iproute> | null;
  return typeof v?.version === 'string' && typeof v.json === 'boolean';
}

/** The node's iproute2 as vf-verify records it in its outputs. */
export const RECORDED_IPROUTE: OutputKey<Iproute> = { stage: 'vf-verify', field: 'iproute', is: isIproute };

/** What vf-verify recorded (`known`), else learnt from the node now (a stage run on its own). */
export async function iprouteOf(host: Host, known: Iproute | undefined): Promise<Iproute> {
  return known ?? probeIproute(host);
}

/** `ip ARGS` asking for JSON where the node's ip has it. */
export function ipArgv(ip: Iproute, args: readonly string[]): string[] {
  return ip.json ? ['ip', '-j', ...args] : ['ip', ...args];
}
