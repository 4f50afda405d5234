import test from 'ava';
import { shellQuote, commandLine, remoteCommandLine, withEnv } from '../../../hosts/quote.ts';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BOOT_ID_READ } from '../../../hosts/ssh.ts';

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

// What the login shell does with the line: the argv exactly, the values exported as given, the
// program in the shell's place (its pid), and 127 when it is not there; in each POSIX shell here.
test('a remote command line: exports then exec, read by sh, dash, bash and busybox sh as the argv and environment given', (t) => {
  const value = `it's "$HOME" \`id\` $(x) a;b\\ *`;
  const argv = ['sh', '-c', 'printf "%s|" "$LC_ALL" "$ODD" "$@"; test "$$" = "$1" && echo same-process', 'sh'];
  for (const shell of [['sh'], ['dash'], ['bash'], ['busybox', 'sh']]) {
    if (spawnSync('sh', ['-c', `command -v ${shell[0]}`]).status !== 0) continue;
    const line = remoteCommandLine([...argv, '$$PID', value], { LC_ALL: 'C', ODD: value });
    const r = spawnSync(shell[0]!, [...shell.slice(1), '-c', `${line.replace("'$$PID'", () => '"$$"')} </dev/null`], { encoding: 'utf8' });
    t.is(r.stdout, `C|${value}|${r.stdout.split('|')[2]}|${value}|same-process\n`, shell.join(' '));
    t.regex(r.stdout.split('|')[2] ?? '', /^\d+$/);
    t.is(spawnSync(shell[0]!, [...shell.slice(1), '-c', remoteCommandLine(['no-such-program-sriov-lxc'], { LC_ALL: 'C' })]).status, 127, shell.join(' '));
  }
  t.is(remoteCommandLine(['cat', '/proc/cmdline'], { LC_ALL: 'C' }), 'export LC_ALL=C; exec cat /proc/cmdline');
  t.is(remoteCommandLine(['true'], undefined), 'exec true');
  t.throws(() => remoteCommandLine(['ls'], { 'A;B': 'x' }), { message: /invalid environment variable name/ });
});

test('env names are validated, values are literal', (t) => {
  t.deepEqual(withEnv(['ls'], { LANG: 'C' }), ['env', 'LANG=C', 'ls']);
  t.throws(() => withEnv(['ls'], { 'A;B': 'x' }), { message: /invalid environment variable name/ });
});

// The reboot poll's read: the login shell alone prints the boot id (no program run: none is on the PATH).
test('the boot-id read: each POSIX shell here prints the boot id with its builtins alone', (t) => {
  const own = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8');
  for (const shell of [['/bin/sh'], ['dash'], ['bash'], ['busybox', 'sh']]) {
    const path = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', shell[0]!], { encoding: 'utf8' }).stdout.trim();
    if (path === '') continue;
    const r = spawnSync(path, [...shell.slice(1), '-c', BOOT_ID_READ], { encoding: 'utf8', env: { PATH: '/nonexistent' } });
    t.is(r.stdout, own, `${shell.join(' ')}: ${r.stderr}`);
    t.is(r.status, 0);
  }
});

