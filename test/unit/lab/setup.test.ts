// The lab's tool check (lab/setup.ts, lab/packages.ts): what is missing is named with the command
// that installs it, nothing is started when tools are missing, and as root with apt-get the
// missing packages are installed (apt-get update once, then install), here through a fake apt-get.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAB_PACKAGES, installCommand, missingMessage, missingPackages, packagesFor } from '../../../lab/packages.ts';
import { LabSetupError, ensureLabTools, findMissing } from '../../../lab/setup.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const ZX = realpathSync(join(ROOT, 'node_modules/.bin/zx'));

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sriov-lxc-setup-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('one list: the lab scope is a part of the tests scope, every package names what it provides', (t) => {
  const lab = packagesFor('lab').map((p) => p.name);
  const tests = packagesFor('tests').map((p) => p.name);
  t.true(lab.every((n) => tests.includes(n)));
  t.true(tests.includes('chromium') && !lab.includes('chromium'));
  t.deepEqual(new Set(LAB_PACKAGES.map((p) => p.name)).size, LAB_PACKAGES.length);
  for (const p of LAB_PACKAGES) t.true(p.tools.length + (p.files?.length ?? 0) > 0, p.name);
});

test('missingPackages names the absent tools per package; the install command lists those packages only', (t) => {
  const missing = missingPackages(packagesFor('lab'), { tool: (name) => name !== 'iperf3' && name !== 'sshd', file: () => true });
  t.deepEqual(missing.map((m) => [m.package.name, m.absent]), [['openssh-server', ['sshd']], ['iperf3', ['iperf3']]]);
  t.is(installCommand(missing, true), 'apt-get update && apt-get install -y --no-install-recommends openssh-server iperf3');
  t.is(installCommand(missing, false), 'sudo apt-get update && sudo apt-get install -y --no-install-recommends openssh-server iperf3');
  const message = missingMessage(missing, { root: false, apt: true, what: 'the lab' });
  t.regex(message, /sshd {2}\(Debian package openssh-server/);
  t.regex(message, /as root it installs them itself/);
});

test('lab up with a PATH without the lab\'s tools: the message names the missing tools and the install command; nothing is started', (t) => {
  const dir = tempDir(t);
  const emptyBin = join(dir, 'bin');
  const labDir = join(dir, 'lab');
  spawnSync('mkdir', [emptyBin]);
  const r = spawnSync(process.execPath, [ZX, join(ROOT, 'lab/lab.ts'), 'up', '--dir', labDir], {
    env: { PATH: emptyBin, HOME: dir },
    encoding: 'utf8',
    timeout: 60_000,
  });
  t.is(r.status, 1, r.stderr);
  for (const tool of ['sshd', 'lxc-create', 'iperf3', 'fio', 'ip', 'grub-mkconfig', 'gcc', 'make']) t.regex(r.stderr, new RegExp(`\\b${tool}\\b`));
  t.regex(r.stderr, /no apt-get/);
  t.regex(r.stderr, /apt-get update && apt-get install -y --no-install-recommends openssh-server openssh-client lxc /);
  // Everything the lab starts is recorded in its directory before it is created: no directory, nothing started.
  t.false(existsSync(labDir));
});

test.serial('as root with apt-get: update once, download, then install -y --no-install-recommends of the missing packages, with no service started, no log left', async (t) => {
  const dir = tempDir(t);
  const bin = join(dir, 'bin');
  const calls = join(dir, 'calls');
  spawnSync('mkdir', [bin]);
  // A stand-in apt-get that installs nothing: it records its arguments and whether apt would start services.
  writeFileSync(join(bin, 'apt-get'), `#!/bin/sh\necho "$* policy=$(test -x /usr/sbin/policy-rc.d && echo yes || echo no)" >> '${calls}'\n`, { mode: 0o755 });
  const policyBefore = existsSync('/usr/sbin/policy-rc.d');
  const lines: string[] = [];
  const missing = findMissing('lab', bin).map((m) => m.package.name);
  const error = await t.throwsAsync(ensureLabTools({ scope: 'lab', what: 'the lab', path: bin, log: (l) => lines.push(l) }), { instanceOf: LabSetupError });
  if (process.getuid?.() !== 0) {
    t.regex(error!.message, /sudo apt-get update && sudo apt-get install/);
    t.false(existsSync(calls));
    return;
  }
  // The fake installed nothing, so the check after it still finds them missing.
  t.regex(error!.message, /after apt-get install, still/);
  t.is(lines.length, 1);
  t.regex(lines[0]!, new RegExp(`^installing ${missing.join(' ')} with apt-get: the lab needs sshd, .*; no service starts, those the packages enable are disabled again \\(refuse with --no-install or SRIOV_LXC_NO_INSTALL=1; apt's output: (.*)/apt\\.log, kept if it fails\\)$`));
  t.false(existsSync(/apt's output: (\S+)\/apt\.log/.exec(lines[0]!)![1]!), 'the log of an install apt-get completed is not left in /tmp');
  const recorded = readFileSync(calls, 'utf8').trim().split('\n');
  const policy = policyBefore ? '' : ' policy=yes';
  t.deepEqual(
    recorded.map((l) => (policyBefore ? l.replace(/ policy=\w+$/, '') : l)),
    [
      `-o DPkg::Lock::Timeout=600 update${policy}`,
      `install -y --no-install-recommends --download-only -o DPkg::Lock::Timeout=600 ${missing.join(' ')}${policy}`,
      `install -y --no-install-recommends -o DPkg::Lock::Timeout=600 ${missing.join(' ')}${policy}`,
    ],
  );
  t.is(existsSync('/usr/sbin/policy-rc.d'), policyBefore);
});

/** A stand-in apt-get (as root only: the install path needs root) running `script` for its arguments. */
function fakeApt(t: { teardown(fn: () => void): void }, script: string): { dir: string; bin: string; calls: string } {
  const dir = tempDir(t);
  const bin = join(dir, 'bin');
  const calls = join(dir, 'calls');
  mkdirSync(bin);
  writeFileSync(join(bin, 'apt-get'), `#!/bin/sh\necho "$*" >> '${calls}'\n${script}\n`, { mode: 0o755 });
  return { dir, bin, calls };
}

test.serial('the services an install enables for the next boot are disabled again; those enabled before stay', async (t) => {
  if (process.getuid?.() !== 0) return t.pass('installing needs root');
  const root = tempDir(t);
  const wants = join(root, 'etc', 'systemd', 'system', 'multi-user.target.wants');
  mkdirSync(wants, { recursive: true });
  mkdirSync(join(root, 'etc', 'rc2.d'), { recursive: true });
  symlinkSync('/lib/systemd/system/cron.service', join(wants, 'cron.service'));
  // What the packages' postinst scripts do: deb-systemd-helper enable, update-rc.d defaults.
  const { bin } = fakeApt(t, `case "$*" in *download-only*|*update*) ;; *install*)
    /bin/ln -s /lib/systemd/system/ssh.service '${wants}/ssh.service'
    /bin/ln -s /lib/systemd/system/lxc-net.service '${wants}/lxc-net.service'
    /bin/ln -s ../init.d/lxc '${join(root, 'etc', 'rc2.d', 'S01lxc')}' ;; esac`);
  const lines: string[] = [];
  await t.throwsAsync(ensureLabTools({ scope: 'lab', what: 'the lab', path: bin, root, log: (l) => lines.push(l) }), { message: /after apt-get install, still/ });
  t.deepEqual(readdirSync(wants), ['cron.service']);
  t.deepEqual(readdirSync(join(root, 'etc', 'rc2.d')), []);
  t.regex(lines.at(-1)!, /^disabled again what the install enabled for the next boot: .*ssh\.service.*\(the host boots as before\)$/);
  t.regex(lines.at(-1)!, /lxc-net\.service/);
  t.regex(lines.at(-1)!, /\blxc\b/);
});

test.serial('offline: apt-get update exits 0, the download fails: a clear error naming the packages and the mirror, nothing installed', async (t) => {
  if (process.getuid?.() !== 0) return t.pass('installing needs root');
  const { bin, calls } = fakeApt(t, `case "$*" in
    *update*) echo "W: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  Temporary failure resolving 'deb.debian.org'"; exit 0 ;;
    *download-only*) echo "E: Failed to fetch http://deb.debian.org/debian/pool/main/i/iperf3/iperf3_3.12-1_amd64.deb  Temporary failure resolving 'deb.debian.org'"; exit 100 ;;
  esac`);
  const missing = findMissing('lab', bin).map((m) => m.package.name);
  const error = await t.throwsAsync(ensureLabTools({ scope: 'lab', what: 'the lab', path: bin, log: () => undefined }), { instanceOf: LabSetupError });
  t.regex(error!.message, new RegExp(`^cannot download ${missing.join(' ')} from the package mirror \\(exit 100\\); nothing was installed`));
  t.regex(error!.message, /Temporary failure resolving 'deb\.debian\.org'/);
  t.regex(error!.message, /Check the network and the mirrors in \/etc\/apt\/sources\.list/);
  const kept = /apt's output kept in (\S+)\/apt\.log/.exec(error!.message)?.[1];
  t.truthy(kept && existsSync(kept), 'the log of a failed install is kept and named');
  if (kept) rmSync(kept, { recursive: true, force: true });
  t.false(readFileSync(calls, 'utf8').split('\n').some((c) => c.startsWith('install') && !c.includes('--download-only')), 'no install was attempted');
});

test.serial('--no-install or SRIOV_LXC_NO_INSTALL=1: the command is printed, apt-get is not run', async (t) => {
  if (process.getuid?.() !== 0) return t.pass('installing needs root');
  const { bin, calls } = fakeApt(t, 'exit 0');
  const a = await t.throwsAsync(ensureLabTools({ scope: 'lab', what: 'the lab', path: bin, install: false }), { instanceOf: LabSetupError });
  t.regex(a!.message, /Install them with:\n {2}apt-get update && apt-get install -y --no-install-recommends openssh-server /);
  t.regex(a!.message, /not installed here: --no-install or SRIOV_LXC_NO_INSTALL=1/);
  process.env['SRIOV_LXC_NO_INSTALL'] = '1';
  t.teardown(() => delete process.env['SRIOV_LXC_NO_INSTALL']);
  await t.throwsAsync(ensureLabTools({ scope: 'lab', what: 'the lab', path: bin }), { message: /not installed here/ });
  t.false(existsSync(calls));
});
