// The lab's tool check (lab/setup.ts, lab/packages.ts): what is missing is named with the command
// that installs it, nothing is started when tools are missing, and as root with apt-get the
// missing packages are installed (apt-get update once, then install), here through a fake apt-get.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAB_PACKAGES, installCommand, missingMessage, missingPackages, packagesFor } from '../../lab/packages.ts';
import { LabSetupError, ensureLabTools, findMissing } from '../../lab/setup.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
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

test('as root with apt-get: update once, then install -y --no-install-recommends of the missing packages, with no service started', async (t) => {
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
  t.regex(lines[0]!, new RegExp(`^installing ${missing.join(' ')} with apt-get: the lab needs sshd, .*\\(apt's output: .*apt\\.log\\)$`));
  const recorded = readFileSync(calls, 'utf8').trim().split('\n');
  const policy = policyBefore ? '' : ' policy=yes';
  t.deepEqual(
    recorded.map((l) => (policyBefore ? l.replace(/ policy=\w+$/, '') : l)),
    [`-o DPkg::Lock::Timeout=600 update${policy}`, `install -y --no-install-recommends -o DPkg::Lock::Timeout=600 ${missing.join(' ')}${policy}`],
  );
  t.is(existsSync('/usr/sbin/policy-rc.d'), policyBefore);
});
