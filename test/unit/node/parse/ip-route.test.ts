import test from 'ava';
import { readFileSync } from 'node:fs';
import { defaultGateway, parseIpRoutes } from '../../../../node/parse/ip-route.ts';
import { isUnknownJsonOption, parseIprouteVersion } from '../../../../node/parse/iproute-version.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../../fixtures/parse/${name}`, import.meta.url), 'utf8');

test('CentOS 7 `ip route show default` (iproute 3.10) lists every route, two spaces apart: the default one is found', (t) => {
  const routes = parseIpRoutes(fixture('ip-route-show-default-centos7-iproute-3.10.txt'));
  t.deepEqual(routes, [
    { dst: 'default', gateway: '10.16.x.y', dev: 'ens160' },
    { dst: '10.16.x.y/20', gateway: null, dev: 'ens160' },
    { dst: '10.32.x.y', gateway: '10.16.112.1', dev: 'ens160' },
  ]);
  t.is(defaultGateway(routes), '10.16.x.y');
});

test('iproute2 6.1 text and JSON of the same routes agree', (t) => {
  const text = parseIpRoutes(fixture('ip-route-iproute2-6.1.txt'));
  t.deepEqual(text, [
    { dst: 'default', gateway: '192.0.2.1', dev: 'vf0' },
    { dst: '192.0.2.0/24', gateway: null, dev: 'vf0' },
  ]);
  t.deepEqual(parseIpRoutes(fixture('ip-j-route-iproute2-6.1.json')), text);
  t.is(defaultGateway(parseIpRoutes('')), null);
  t.is(defaultGateway(parseIpRoutes('[]')), null);
});

test('a route type word before the destination, multipath next hops', (t) => {
  t.deepEqual(parseIpRoutes('unicast default via 192.0.2.1 dev eth0 proto boot scope global \n'), [{ dst: 'default', gateway: '192.0.2.1', dev: 'eth0' }]);
  t.deepEqual(parseIpRoutes('default proto static metric 100 \n\tnexthop via 192.0.2.1 dev eth0 weight 1 \n'), [{ dst: 'default', gateway: null, dev: null }]);
});

test('ip -V of iproute 4.11 (CentOS 7.4 and later) and 6.1; the -j refusal of 4.11', (t) => {
  t.is(parseIprouteVersion(fixture('ip-V-iproute-4.11.txt')), 'ss170501');
  t.is(parseIprouteVersion(fixture('ip-V-iproute2-6.1.txt')), '6.1.0');
  t.throws(() => parseIprouteVersion('sh: ip: not found'), { message: /no iproute2 version/ });
  t.true(isUnknownJsonOption(fixture('ip-j-unknown-iproute-4.11.stderr')));
  t.false(isUnknownJsonOption('Device "lo" does not exist.\n'));
});
