// The IPv4 addresses of an interface (`ip -j addr show dev IF`) and the default gateway
// (`ip -j route show default`), as a container's network namespace has them.
import { ParseError, excerpt } from '../parse/parse-error.ts';

function parseJsonList(text: string, what: string): unknown[] {
  let data: unknown;
  try {
    data = JSON.parse(text === '' ? '[]' : text);
  } catch {
    throw new ParseError(`${what} output is not JSON: ${excerpt(text)}`, { hint: 'iproute2 4.14 or later is needed (-j)' });
  }
  if (!Array.isArray(data)) throw new ParseError(`${what} output is not a list: ${excerpt(text)}`);
  return data;
}

const field = (o: unknown, key: string): unknown => (typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[key] : undefined);

/** "192.168.10.11/24" for each IPv4 address of `ifname`. */
export function ipv4Addresses(text: string, ifname: string): string[] {
  return parseJsonList(text, 'ip -j addr')
    .filter((link) => field(link, 'ifname') === ifname)
    .flatMap((link) => {
      const infos = field(link, 'addr_info');
      return Array.isArray(infos) ? infos : [];
    })
    .filter((a) => field(a, 'family') === 'inet')
    .map((a) => `${String(field(a, 'local'))}/${String(field(a, 'prefixlen'))}`);
}

/** The gateway of the default route, or null without one. */
export function defaultGateway(text: string): string | null {
  const route = parseJsonList(text, 'ip -j route').find((r) => field(r, 'dst') === 'default');
  const gateway = field(route, 'gateway');
  return typeof gateway === 'string' ? gateway : null;
}
