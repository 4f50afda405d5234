import test from 'ava';
import { canonicalJson, stableHash } from '../../../state/hash.ts';

test('key order does not change the hash, at any depth', (t) => {
  const a = { b: [2, 3], a: 1, n: { y: true, x: null } };
  const b = { n: { x: null, y: true }, a: 1, b: [2, 3] };
  t.is(stableHash(a), stableHash(b));
  t.is(canonicalJson(b), '{"a":1,"b":[2,3],"n":{"x":null,"y":true}}');
});

test('the hash is the first 16 hex digits of sha256 of the canonical JSON', (t) => {
  // printf '{"a":1,"b":[2,3]}' | sha256sum | cut -c1-16
  t.is(stableHash({ b: [2, 3], a: 1 }), 'efbd0040190fb087');
});

test('any difference in values, or in array order, changes the hash', (t) => {
  const base = stableHash({ vfs: [0, 1], mtu: 9000 });
  t.not(stableHash({ vfs: [1, 0], mtu: 9000 }), base);
  t.not(stableHash({ vfs: [0, 1], mtu: 1500 }), base);
  t.not(stableHash({ vfs: [0, 1], mtu: '9000' }), base);
});

test('undefined fields are left out as JSON does', (t) => {
  t.is(stableHash({ a: 1, b: undefined }), stableHash({ a: 1 }));
});

test('a value that is not JSON is refused', (t) => {
  t.throws(() => stableHash(undefined), { instanceOf: TypeError });
  t.throws(() => stableHash(() => 1), { instanceOf: TypeError });
});
