import test from 'ava';
import { readFileSync } from 'node:fs';
import { memTotalBytes, parseMeminfo } from '../../../../node/parse/meminfo.ts';
import { ParseError } from '../../../../node/parse/parse-error.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../../fixtures/parse/${name}`, import.meta.url), 'utf8');

test('real /proc/meminfo: sizes in bytes, counts as numbers', (t) => {
  const text = fixture('meminfo-vm.txt');
  const fields = parseMeminfo(text);
  t.is(memTotalBytes(text), 24683756 * 1024);
  t.is(fields.get('Hugepagesize'), 2048 * 1024);
  t.is(typeof fields.get('HugePages_Total'), 'number');
  t.true(fields.has('Active(anon)'));
});

test('no MemTotal is a parse error naming /proc', (t) => {
  const error = t.throws(() => memTotalBytes('MemFree: 5 kB\n'), { instanceOf: ParseError });
  t.regex(error!.message, /no MemTotal/);
});
