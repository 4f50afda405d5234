// `ip [-j] route show` as typed routes: iproute2's JSON (4.17 and later) or its text (every
// release). One entry, parseIpRoutes, takes either. Text fields are "key value" pairs after the
// destination (ip/iproute.c print_route); iproute 3.10 separated some with two spaces.
import { ParseError, excerpt } from './parse-error.ts';

export interface IpRoute {
  /** "default" or a prefix ("192.0.2.0/24", a host address without /len). */
  dst: string;
  gateway: string | null;
  dev: string | null;
}

// What print_route puts before the destination for a route that is not unicast (or with -d).
const ROUTE_TYPES = new Set(['unicast', 'local', 'broadcast', 'multicast', 'throw', 'unreachable', 'prohibit', 'blackhole', 'nat', 'anycast']);

function textRoute(line: string): IpRoute {
  const words = line.trim().split(/\s+/);
  if (ROUTE_TYPES.has(words[0] as string)) words.shift();
  const value = (key: string): string | null => {
    const at = words.indexOf(key, 1);
    return at > 0 && at + 1 < words.length ? (words[at + 1] as string) : null;
  };
  return { dst: words[0] as string, gateway: value('via'), dev: value('dev') };
}

function jsonRoutes(text: string): IpRoute[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ParseError(`ip -j route output is not JSON: ${excerpt(text)}`);
  }
  if (!Array.isArray(data)) throw new ParseError(`ip -j route output is not a list: ${excerpt(text)}`);
  return data.map((r: unknown) => {
    const o = (typeof r === 'object' && r !== null ? r : {}) as Record<string, unknown>;
    if (typeof o.dst !== 'string') throw new ParseError(`ip -j route entry without dst: ${excerpt(JSON.stringify(r))}`);
    return { dst: o.dst, gateway: typeof o.gateway === 'string' ? o.gateway : null, dev: typeof o.dev === 'string' ? o.dev : null };
  });
}

export function parseIpRoutes(text: string): IpRoute[] {
  if (text.trimStart().startsWith('[')) return jsonRoutes(text);
  // Lines that start with whitespace continue a multipath route ("\tnexthop via ...").
  return text.split('\n').filter((l) => l.trim() !== '' && !/^\s/.test(l)).map(textRoute);
}

/** The gateway of the default route, or null without one. iproute < 4.13 prints every route for
 * `ip route show default` (the word was a prefix of length 0), so the default one is looked for. */
export function defaultGateway(routes: readonly IpRoute[]): string | null {
  return routes.find((r) => r.dst === 'default')?.gateway ?? null;
}
