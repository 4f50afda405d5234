// The answers of a node's iproute2 to the probe of node/facts/iproute.ts: Debian 12's 6.1 (JSON) or
// CentOS 7's 4.11 (no -j: `Option "-j" is unknown`, exit 255), from test/fixtures/parse.
import { fixture, type FakeHost } from './fake-host.ts';

export function answerIproute(host: FakeHost, release: '6.1' | '4.11' = '6.1'): FakeHost {
  if (release === '6.1') {
    return host
      .on(['ip', '-V'], { stdout: fixture('parse/ip-V-iproute2-6.1.txt') })
      .on(['ip', '-j', 'link', 'show', 'lo'], { stdout: fixture('parse/ip-j-link-lo-iproute2-6.1.json') });
  }
  return host
    .on(['ip', '-V'], { stdout: fixture('parse/ip-V-iproute-4.11.txt') })
    .on((argv) => argv[0] === 'ip' && argv[1] === '-j', { code: 255, stderr: fixture('parse/ip-j-unknown-iproute-4.11.stderr') });
}
