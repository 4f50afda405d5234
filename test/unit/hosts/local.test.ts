import test, { type ExecutionContext } from 'ava';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pRetry from 'p-retry';
import { execFileSync } from 'node:child_process';
import { LocalHost } from '../../../hosts/local.ts';
import { CommandError, CommandTimeoutError, FatalError } from '../../../core/errors.ts';
import { germanLocaleEnv } from '../../helpers/german-locale.ts';
import { checkDirectoryMode } from '../../helpers/write-directory.ts';

const host = new LocalHost('this-machine');

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync('/tmp/sriov-lxc-local-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('exec passes hostile arguments to the program unchanged', async (t) => {
  const hostile = ['a b', '$(touch /tmp/pwned)', '`id`', "it's", '"q"', 'x;rm -rf /', 'new\nline', '', '*', '~', '-n', 'ünïcødé €'];
  const result = await host.exec(['printf', '%s\\0', ...hostile]);
  t.deepEqual(result.stdout.split('\0').slice(0, -1), hostile);
});

test('exec reports exit codes and stderr; run rejects with a CommandError', async (t) => {
  const script = ['sh', '-c', 'echo out; echo err >&2; exit 7'];
  t.deepEqual(await host.exec(script), { code: 7, stdout: 'out\n', stderr: 'err\n' });
  const error = await t.throwsAsync(host.run(script), { instanceOf: CommandError });
  t.is(error?.code, 7);
  t.is(error?.stderrTail, 'err');
  t.is(error?.command, "sh -c 'echo out; echo err >&2; exit 7'");
  t.is((await host.exec(['no-such-program-sriov-lxc'])).code, 127);
  await t.throwsAsync(host.run(['no-such-program-sriov-lxc']), { instanceOf: CommandError, message: /exit code 127/ });
});

test('env values and stdin reach the command literally; env names are checked', async (t) => {
  const env = await host.exec(['sh', '-c', 'printf %s "$GREETING"'], { env: { GREETING: "it's $HOME `id`" } });
  t.is(env.stdout, "it's $HOME `id`");
  const input = `línea €\n${'x'.repeat(200_000)}\n`;
  t.is((await host.exec(['cat'], { stdin: input })).stdout, input);
  t.is((await host.exec(['cat'])).stdout, '', 'stdin is empty, not inherited');
  t.is((await host.exec(['true'], { stdin: 'x'.repeat(1_000_000) })).code, 0, 'input a program does not read is no error');
  await t.throwsAsync(host.exec(['true'], { env: { 'A;B': 'x' } }), { message: /invalid environment variable name/ });
});

// Issue 22: output and messages are matched as English text; a German LANG (what Debian's sshd
// passes on) must not change them. The German locale is real: the same command prints German without us.
test('commands run in the C locale whatever LANG the environment has', async (t) => {
  const german = germanLocaleEnv();
  const argv = ['stat', '-c', '%F', '--', '/tmp', '/no/such/path'];
  const plain = execFileSync('sh', ['-c', 'stat -c %F -- /tmp /no/such/path 2>&1 || true'], { env: { ...process.env, ...german }, encoding: 'utf8' });
  t.regex(plain, /Verzeichnis[\s\S]*nicht gefunden/, 'the German locale works here');
  const result = await host.exec(argv, { env: german });
  t.is(result.stdout, 'directory\n');
  t.regex(result.stderr, /No such file or directory/);
});

test('a command past its timeout is killed with its children and rejects with CommandTimeoutError', async (t) => {
  const dir = tempDir(t);
  const pidFile = join(dir, 'pid');
  const running = host.exec(['sh', '-c', 'sleep 30 & echo $! > "$1"; wait', 'sh', pidFile], { timeoutMs: 300 });
  const error = await t.throwsAsync(running, { instanceOf: CommandTimeoutError });
  t.regex(error?.message ?? '', /^sh -c .* did not finish within 300 ms on this-machine/);
  const child = readFileSync(pidFile, 'utf8').trim();
  // The killed child may stay a zombie briefly until its new parent reaps it.
  await pRetry(() => {
    const gone = !existsSync(`/proc/${child}`) || /^State:\s+Z/m.test(readFileSync(`/proc/${child}/status`, 'utf8'));
    if (!gone) throw new Error(`process ${child} is still running`);
  }, { retries: 20, minTimeout: 20, maxTimeout: 100 });
  t.pass();
});

test('readFile tells a missing file from a present one', async (t) => {
  const dir = tempDir(t);
  t.is(await host.readFile(join(dir, 'missing')), undefined);
  t.is(await host.readFile(join(dir, 'missing', 'below')), undefined);
  writeFileSync(join(dir, 'present'), 'text\n');
  t.is(await host.readFile(join(dir, 'present')), 'text\n');
});

test('writeFile replaces a file atomically with the given mode', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'modules.conf');
  writeFileSync(path, 'old');
  await host.writeFile(path, 'ixgbe\nixgbevf\n', { mode: 0o600 });
  t.is(readFileSync(path, 'utf8'), 'ixgbe\nixgbevf\n');
  t.is(statSync(path).mode & 0o7777, 0o600);
  await host.writeFile(path, 'x');
  t.is(statSync(path).mode & 0o7777, 0o644, 'default mode');
  await t.throwsAsync(host.writeFile(join(dir, 'no-dir', 'f'), 'x'), { code: 'ENOENT' });
  t.deepEqual(readdirSync(dir), ['modules.conf'], 'no temporary file is left');
});

test('writeFile and upload with directoryMode make the missing directories as mkdir -p -m does', async (t) => {
  await checkDirectoryMode(t, host, tempDir(t), tempDir(t));
});

test('upload copies a file atomically with the given mode', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'src'), Buffer.from([0, 1, 2, 255]));
  await host.upload(join(dir, 'src'), join(dir, 'dst'), { mode: 0o755 });
  t.deepEqual(readFileSync(join(dir, 'dst')), Buffer.from([0, 1, 2, 255]));
  t.is(statSync(join(dir, 'dst')).mode & 0o7777, 0o755);
  t.deepEqual(readdirSync(dir).sort(), ['dst', 'src']);
});

test('bootId is the kernel boot id', async (t) => {
  t.regex(await host.bootId(), /^[0-9a-f-]{36}$/);
  t.is(await host.bootId(), readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
});

/** A directory like /tmp (everyone writes, sticky) with links planted at the names we write. */
function planted(t: { teardown: (fn: () => void) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'sriov-lxc-local-planted-'));
  const vault = mkdtempSync(join(tmpdir(), 'sriov-lxc-local-vault-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(vault, { recursive: true, force: true });
  });
  chmodSync(dir, 0o1777);
  const victim = join(vault, 'shadow');
  writeFileSync(victim, 'root only\n', { mode: 0o600 });
  const victimDir = join(vault, 'dir');
  mkdirSync(victimDir, { mode: 0o700 });
  const target = join(dir, 'marker');
  const dirTarget = join(dir, 'marker-dir');
  symlinkSync(victim, target);
  symlinkSync(victimDir, dirTarget);
  return { dir, target, dirTarget, victim, victimDir };
}

test('writeFile and upload in a directory others can write replace planted links and never write through them', async (t) => {
  const { target, dirTarget, victim, victimDir } = planted(t);
  const source = join(mkdtempSync(join(tmpdir(), 'sriov-lxc-local-src-')), 'src');
  t.teardown(() => rmSync(dirname(source), { recursive: true, force: true }));
  writeFileSync(source, 'tarball');
  await host.writeFile(target, 'token\n');
  await host.upload(source, dirTarget, { mode: 0o640 });
  t.is(readFileSync(victim, 'utf8'), 'root only\n');
  t.is(statSync(victim).mode & 0o7777, 0o600);
  t.deepEqual(readdirSync(victimDir), []);
  t.true(lstatSync(target).isFile());
  t.is(readFileSync(target, 'utf8'), 'token\n');
  t.is(lstatSync(dirTarget).mode & 0o7777, 0o640);
});

test('writeFile refuses a directory everyone can write that is not sticky', async (t) => {
  const { dir } = planted(t);
  chmodSync(dir, 0o777);
  await t.throwsAsync(host.writeFile(join(dir, 'new'), 'x'), { instanceOf: FatalError, message: /writable by everyone \(mode 777\) and not sticky/ });
  t.false(existsSync(join(dir, 'new')));
});
