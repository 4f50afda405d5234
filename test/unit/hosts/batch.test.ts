// The batched read against a real /bin/sh (LocalHost): what each read returns is what the command
// or file gives alone, whatever the words hold; the parser refuses output its script cannot print.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchArgv, parseBatch, type Read } from '../../../hosts/batch.ts';
import { LocalHost } from '../../../hosts/local.ts';

const BOUNDARY = '0123456789abcdef0123456789abcdef';
const OTHER = 'fedcba9876543210fedcba9876543210';

test('a batch returns each read as it would come alone: files, missing files, exit codes, error output, odd words', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sriov-batch-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const odd = join(dir, "it's a \"file\" $(touch pwned) `x`\nwith a newline");
  writeFileSync(odd, 'no newline at the end');
  writeFileSync(join(dir, 'plain'), 'line 1\n\nline 3\n\n');
  const reads: Read[] = [
    { file: odd },
    { file: join(dir, 'missing') },
    { file: join(dir, 'plain') },
    { argv: ['sh', '-c', 'printf "%s|" "$@"; echo oops >&2; exit 3', 'sh', 'a b', "c'd", '$HOME', ''] },
    { argv: ['printf', `${OTHER} 9\n${OTHER} rc 0\n`] },
    { argv: ['sleep', '30'], timeoutMs: 1000 },
    { argv: ['cat'] },
  ];
  const host = new LocalHost('here');
  const argv = batchArgv(reads, BOUNDARY);
  t.false(argv[2]!.includes(dir), 'no path inside the script');
  const sent = await host.exec(argv, { stdin: 'must not be read' });
  const results = parseBatch(sent.stdout, sent.stderr, BOUNDARY, reads.length);
  t.deepEqual(results[0], { code: 0, stdout: 'no newline at the end', stderr: '' });
  t.deepEqual(results[1], { code: 66, stdout: '', stderr: '' });
  t.deepEqual(results[2], { code: 0, stdout: 'line 1\n\nline 3\n\n', stderr: '' });
  t.deepEqual(results[3], { code: 3, stdout: "a b|c'd|$HOME||", stderr: 'oops\n' });
  t.is(results[4]!.stdout, `${OTHER} 9\n${OTHER} rc 0\n`, 'output framed like a batch of another boundary is kept');
  t.is(results[5]!.code, 124, 'a read past its time limit ends with timeout\'s 124');
  t.deepEqual(results[6], { code: 0, stdout: '', stderr: '' }, 'reads get no standard input');
});

test('output the script cannot have printed is refused, naming what is wrong', (t) => {
  const one = `${BOUNDARY} 0\nhello\n${BOUNDARY} rc 0\n`;
  t.deepEqual(parseBatch(one, '', BOUNDARY, 1), [{ code: 0, stdout: 'hello', stderr: '' }]);
  t.throws(() => parseBatch(one.slice(0, -1), '', BOUNDARY, 1), { message: /read 0's exit code line is cut/ });
  t.throws(() => parseBatch(`${BOUNDARY} 0\nhello`, '', BOUNDARY, 1), { message: /read 0 has no exit code/ });
  t.throws(() => parseBatch(one, '', BOUNDARY, 2), { message: /read 1 does not start where the previous one ended/ });
  t.throws(() => parseBatch(`${one}more`, '', BOUNDARY, 1), { message: /output after the last read/ });
  t.throws(() => batchArgv([{ file: '/x' }], 'not-hex'), { message: /boundary/ });
});
