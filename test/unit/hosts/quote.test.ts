import test from 'ava';
import { shellQuote, commandLine, withEnv } from '../../../hosts/quote.ts';
import { execFileSync } from 'node:child_process';

test('plain words stay as they are', (t) => {
  t.is(shellQuote('enp4s0f0'), 'enp4s0f0');
  t.is(shellQuote('/etc/default/grub'), '/etc/default/grub');
});

test('hostile arguments reach the program unchanged through sh', (t) => {
  const hostile = ["a b", "$(touch /tmp/pwned)", '`id`', "it's", '"q"', 'x;rm -rf /', 'new\nline', '', '*', '~', '-n'];
  const out = execFileSync('sh', ['-c', `printf '%s\\0' ${commandLine(hostile)}`]).toString();
  t.deepEqual(out.split('\0').slice(0, -1), hostile);
});

test('NUL bytes are refused', (t) => {
  t.throws(() => shellQuote('a\0b'), { message: /NUL/ });
});

test('env names are validated, values are literal', (t) => {
  t.deepEqual(withEnv(['ls'], { LANG: 'C' }), ['env', 'LANG=C', 'ls']);
  t.throws(() => withEnv(['ls'], { 'A;B': 'x' }), { message: /invalid environment variable name/ });
});
