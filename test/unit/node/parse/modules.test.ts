import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseLsmod, parseModinfoVersion } from '../../../../node/parse/modules.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../../fixtures/parse/${name}`, import.meta.url), 'utf8');

test('lsmod with ixgbe and ixgbevf loaded', (t) => {
  const mods = parseLsmod(fixture('lsmod-ixgbe.txt'));
  t.deepEqual(mods.map((m) => m.name), ['ixgbevf', 'ixgbe', 'xfrm_algo', 'mdio', 'dca', 'ptp', 'pps_core', 'veth', 'bridge', 'stp', 'llc']);
  t.deepEqual(mods[0], { name: 'ixgbevf', size: 94208, usedBy: 0, holders: [] });
  t.deepEqual(mods.find((m) => m.name === 'xfrm_algo'), { name: 'xfrm_algo', size: 16384, usedBy: 2, holders: ['ixgbe', 'ixgbevf'] });
  t.deepEqual(parseLsmod('Module                  Size  Used by\n'), []);
  t.throws(() => parseLsmod('lsmod: ERROR: could not open /proc/modules'), { message: /unexpected lsmod line/ });
});

test('modinfo -F version of the Intel tarball driver and of the in-tree one', (t) => {
  t.is(parseModinfoVersion(fixture('modinfo-F-version-ixgbe-5.19.6.txt')), '5.19.6');
  t.is(parseModinfoVersion(fixture('modinfo-F-version-ixgbe-inbox.txt')), null);
});
