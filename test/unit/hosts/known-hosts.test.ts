import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  fingerprint,
  hostToken,
  judgeHostKey,
  keyTypeOf,
  lineMatchesHost,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
  prepareHostKeyCheck,
  type HostKeyPolicy,
} from '../../../hosts/known-hosts.ts';
import { fixture } from '../../helpers/fake-host.ts';

const blob = (name: string): Buffer => Buffer.from(fixture(`ssh/${name}.pub`).split(' ')[1] ?? '', 'base64');
const ed25519 = blob('host_ed25519');
const ecdsa = blob('host_ecdsa');
const rsa = blob('host_rsa');
const revoked = blob('revoked');
const plain = parseKnownHosts(fixture('ssh/known_hosts'), 'known_hosts');
const hashed = parseKnownHosts(fixture('ssh/known_hosts_hashed'), 'known_hosts_hashed');
const linesFor = (lines: typeof plain, host: string, port = 22) => lines.filter((l) => lineMatchesHost(l, hostToken(host, port)));

test('fingerprints are the ones ssh-keygen -lf prints', (t) => {
  const printed = fixture('ssh/ssh-keygen-lf.txt').trim().split('\n').map((l) => l.split(' ')[1]);
  t.deepEqual([ed25519, ecdsa, rsa, revoked].map(fingerprint), printed);
  t.deepEqual([ed25519, ecdsa, rsa].map(keyTypeOf), ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ssh-rsa']);
});

test('parsing keeps markers and origins and skips comments, blank and malformed lines', (t) => {
  t.is(plain.length, 5);
  t.deepEqual(plain.map((l) => l.marker), [undefined, undefined, undefined, '@revoked', '@cert-authority']);
  t.is(plain[1]?.origin, 'known_hosts:3');
});

test('hosts match by name, by [host]:port on other ports, and by patterns', (t) => {
  t.is(hostToken('node2.example.org', 2222), '[node2.example.org]:2222');
  t.is(linesFor(plain, '192.0.2.10')[0]?.keyType, 'ssh-ed25519');
  t.is(linesFor(plain, 'node2.example.org', 2222)[0]?.keyType, 'ecdsa-sha2-nistp256');
  t.is(linesFor(plain, 'node2.example.org').filter((l) => !l.marker).length, 0, 'port 22 is another host');
  t.is(linesFor(plain, 'x1.lab.example.org')[0]?.keyType, 'ssh-rsa');
  t.false(linesFor(plain, 'bad.lab.example.org').some((l) => l.keyType === 'ssh-rsa'), 'negated pattern');
});

test('names match as ssh matches them (hostfile.c match_hostname: name and patterns lower-cased, a negated pattern rules out): ssh-keygen -F on the same file', (t) => {
  const dir = mkdtempSync('/tmp/sriov-lxc-known-hosts-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'known_hosts');
  writeFileSync(file, `Node1.Example.ORG,*.Lab.Example.org,!BAD.lab.example.org,[Node2.example.org]:2222 ssh-ed25519 ${ed25519.toString('base64')}\n`);
  const [line] = parseKnownHosts(readFileSync(file, 'utf8'), file);
  const cases: [string, number, boolean][] = [
    ['node1.example.org', 22, true],
    ['NODE1.example.org', 22, true],
    ['x.lab.example.org', 22, true],
    ['bad.lab.example.org', 22, false],
    ['BAD.LAB.example.org', 22, false],
    ['node2.example.org', 2222, true],
    ['node2.example.org', 22, false],
    ['node1.example.org.', 22, false],
  ];
  for (const [name, port, found] of cases) {
    const keygen = spawnSync('ssh-keygen', ['-F', hostToken(name, port), '-f', file], { encoding: 'utf8' }).stdout.split('\n').some((l) => l.startsWith('Node1'));
    t.is(keygen, found, `ssh-keygen -F ${name}:${port}`);
    t.is(lineMatchesHost(line!, hostToken(name, port)), found, `${name}:${port}`);
  }
});

test('hashed names written by ssh-keygen -H are recognised', (t) => {
  t.is(linesFor(hashed, 'node1.example.org').length, 1);
  t.is(linesFor(hashed, 'node2.example.org', 2222)[0]?.keyType, 'ecdsa-sha2-nistp256');
  t.is(linesFor(hashed, 'node3.example.org').length, 0);
});

test('judging: known, unknown, changed (also to another key type) and revoked', (t) => {
  t.is(judgeHostKey(linesFor(plain, 'node1.example.org'), ed25519).status, 'known');
  t.is(judgeHostKey(linesFor(plain, 'node9.example.com'), ed25519).status, 'unknown');
  const changed = judgeHostKey(linesFor(plain, 'node1.example.org'), ecdsa);
  t.is(changed.status, 'changed');
  t.is(judgeHostKey(linesFor(plain, 'anything.example.com'), revoked).status, 'revoked');
  t.is(judgeHostKey(linesFor(plain, 'x.example.org'), ed25519).status, 'unknown', '@cert-authority lines are not host keys');
});

test('host key algorithms that are known for the host are preferred', (t) => {
  t.deepEqual(preferredHostKeyAlgorithms(linesFor(plain, 'x1.lab.example.org')), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
  t.deepEqual(preferredHostKeyAlgorithms(linesFor(plain, 'node9.example.com')), []);
});

function policyIn(t: import('ava').ExecutionContext, extra: Partial<HostKeyPolicy> = {}): HostKeyPolicy {
  const dir = mkdtempSync('/tmp/sriov-lxc-known-hosts-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return { pinFile: join(dir, 'state', 'known_hosts'), trustedFiles: [], acceptChangedHostKey: false, ...extra };
}

test('trust on first use pins a new key; the pin then verifies it', async (t) => {
  const policy = policyIn(t);
  const first = await prepareHostKeyCheck(policy, 'node1', '10.0.0.1', 2222);
  t.true(first.verify(ed25519));
  await first.commit();
  t.is(readFileSync(policy.pinFile, 'utf8'), `[10.0.0.1]:2222 ssh-ed25519 ${ed25519.toString('base64')}\n`);
  const again = await prepareHostKeyCheck(policy, 'node1', '10.0.0.1', 2222);
  t.deepEqual(again.preferredAlgorithms, ['ssh-ed25519']);
  t.true(again.verify(ed25519));
  t.false(again.verify(ecdsa));
  t.regex(again.refusal()?.message ?? '', /host key of node1 \(\[10\.0\.0\.1\]:2222\) has changed/);
});

test('a changed key is accepted with the flag: the pin is replaced and a warning given', async (t) => {
  const warnings: string[] = [];
  const policy = policyIn(t, { acceptChangedHostKey: true, onWarning: (m) => warnings.push(m) });
  const pin = await prepareHostKeyCheck(policy, 'node1', '10.0.0.1', 22);
  t.true(pin.verify(ed25519));
  await pin.commit();
  writeFileSync(policy.pinFile, `# kept\n${readFileSync(policy.pinFile, 'utf8')}other ssh-ed25519 ${ed25519.toString('base64')}\n`);
  const replace = await prepareHostKeyCheck(policy, 'node1', '10.0.0.1', 22);
  t.true(replace.verify(ecdsa));
  await replace.commit();
  t.is(readFileSync(policy.pinFile, 'utf8'), `# kept\nother ssh-ed25519 ${ed25519.toString('base64')}\n10.0.0.1 ecdsa-sha2-nistp256 ${ecdsa.toString('base64')}\n`);
  t.is(warnings.length, 1);
  t.true(warnings[0]?.includes(fingerprint(ed25519)) && warnings[0]?.includes(fingerprint(ecdsa)));
});

test('the user known_hosts (hashed) counts as known and is never written', async (t) => {
  const policy = policyIn(t);
  const trusted = join(policy.pinFile, '..', '..', 'user_known_hosts');
  writeFileSync(trusted, fixture('ssh/known_hosts_hashed'));
  const check = await prepareHostKeyCheck({ ...policy, trustedFiles: [trusted] }, 'node2', 'node2.example.org', 2222);
  t.true(check.verify(ecdsa));
  t.false(check.verify(ed25519), 'a different key for a host known there is a changed key');
  t.is(readFileSync(trusted, 'utf8'), fixture('ssh/known_hosts_hashed'));
});

// Issue 24: --dry-run pinned the node's key on first contact, creating the state directory.
test('a dry run pins nothing: a new key is "would be pinned" in memory, on a read-only state dir; a changed one is refused as in a real run', async (t) => {
  const warnings: string[] = [];
  const policy = policyIn(t, { dryRun: { pins: [] }, acceptChangedHostKey: true, onWarning: (m) => warnings.push(m) });
  const stateDir = join(policy.pinFile, '..');
  mkdirSync(stateDir);
  execFileSync('mount', ['--bind', stateDir, stateDir]);
  t.teardown(() => execFileSync('umount', [stateDir]));
  execFileSync('mount', ['-o', 'remount,bind,ro', stateDir]);
  const first = await prepareHostKeyCheck(policy, 'node1', '10.0.0.1', 2222);
  t.true(first.verify(ed25519));
  await first.commit();
  t.false(existsSync(policy.pinFile), 'nothing written');
  t.is(warnings.length, 1);
  t.regex(warnings[0] ?? '', new RegExp(`the host key of node1 \\(\\[10\\.0\\.0\\.1\\]:2222\\) is not known yet: ${fingerprint(ed25519).replace(/[+/]/g, '.')} \\(ssh-ed25519\\) would be pinned in .*known_hosts by a real run; --dry-run pins nothing`));
  // The next connection of the same run (after a reboot) knows the key from memory.
  const again = await prepareHostKeyCheck(policy, 'node1', '10.0.0.1', 2222);
  t.true(again.verify(ed25519));
  await again.commit();
  t.is(warnings.length, 1, 'said once');
  t.false(again.verify(ecdsa), 'another key is a changed key, even with --accept-new-host-key: a dry run replaces no pin');
  t.regex(again.refusal()?.message ?? '', /has changed/);
});

test('a dry run with strict known_hosts files refuses an unknown key as a real run does', async (t) => {
  const policy = policyIn(t, { dryRun: { pins: [] } });
  const strictFile = join(policy.pinFile, '..', '..', 'strict_known_hosts');
  writeFileSync(strictFile, '');
  const check = await prepareHostKeyCheck({ ...policy, knownHostsFiles: [strictFile] }, 'node1', '10.0.0.1', 22);
  t.false(check.verify(ed25519));
  t.regex(check.refusal()?.message ?? '', /is not in .*strict_known_hosts/);
});

// Prepared against the mutants a read of known-hosts.ts expected to survive (before its Stryker run).
test('the key type is the blob\'s first string (RFC 4251 section 5: uint32 length, then the bytes): boundaries', (t) => {
  const blobOf = (length: number, type: string) => Buffer.concat([Buffer.from([0, 0, 0, length]), Buffer.from(type, 'latin1')]);
  t.throws(() => keyTypeOf(Buffer.from([0, 0, 0])), { message: 'malformed SSH public key: too short' });
  t.is(keyTypeOf(Buffer.from([0, 0, 0, 0])), '');
  t.is(keyTypeOf(blobOf(7, 'ssh-rsa')), 'ssh-rsa', 'the type alone, no key data');
  t.throws(() => keyTypeOf(blobOf(8, 'ssh-rsa')), { message: 'malformed SSH public key: bad type length' });
});

test('an indented line is read, as ssh-keygen -F reads it (hostfile.c skips leading blanks)', (t) => {
  const dir = mkdtempSync('/tmp/sriov-lxc-known-hosts-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'known_hosts');
  writeFileSync(file, ` \tindented.example ssh-ed25519 ${ed25519.toString('base64')}\n`);
  t.is(spawnSync('ssh-keygen', ['-F', 'indented.example', '-f', file]).status, 0, 'ssh-keygen -F finds it');
  t.deepEqual(parseKnownHosts(readFileSync(file, 'utf8'), file), [{ hosts: 'indented.example', keyType: 'ssh-ed25519', key: ed25519.toString('base64'), origin: `${file}:1` }]);
});

test('host key algorithms asked for per known key type (RFC 5656 6.2: an ECDSA key signs with its own name; RFC 8332: an ssh-rsa key with rsa-sha2-512/256), once each; CA lines are no host keys', (t) => {
  const line = (keyType: string, marker?: '@cert-authority'): Parameters<typeof preferredHostKeyAlgorithms>[0][number] => ({ ...(marker ? { marker } : {}), hosts: 'h', keyType, key: '', origin: 'x' });
  t.deepEqual(
    preferredHostKeyAlgorithms(['ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-ed25519', 'ssh-rsa', 'ssh-rsa', 'ssh-dss'].map((k) => line(k))),
    ['ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
  );
  t.deepEqual(preferredHostKeyAlgorithms([line('ssh-ed25519', '@cert-authority')]), []);
});

test('an empty knownHostsFiles list is no strict list: the key is pinned on first use', async (t) => {
  const policy = policyIn(t, { knownHostsFiles: [] });
  const check = await prepareHostKeyCheck(policy, 'node1', '10.0.0.1', 22);
  t.true(check.verify(ed25519));
  await check.commit();
  t.is(readFileSync(policy.pinFile, 'utf8'), `10.0.0.1 ssh-ed25519 ${ed25519.toString('base64')}\n`);
});

test('a dry run\'s pins count only for their own host and never against strict files; a dry run needs no warning listener', async (t) => {
  const policy = policyIn(t, { dryRun: { pins: [] } });
  const first = await prepareHostKeyCheck(policy, 'node1', '10.0.0.1', 22);
  t.true(first.verify(ed25519));
  await first.commit();
  t.is(policy.dryRun?.pins.length, 1);
  const other = await prepareHostKeyCheck(policy, 'node2', '10.0.0.2', 22);
  t.true(other.verify(ecdsa), 'node1\'s pin says nothing about node2');
  const strictFile = join(policy.pinFile, '..', '..', 'strict_known_hosts');
  writeFileSync(strictFile, '');
  const strict = await prepareHostKeyCheck({ ...policy, knownHostsFiles: [strictFile] }, 'node1', '10.0.0.1', 22);
  t.false(strict.verify(ed25519), 'in memory only: not in the strict file');
});

test('replacing a pin keeps the @revoked and @cert-authority lines of the same host; two pins at once both land', async (t) => {
  const policy = policyIn(t, { acceptChangedHostKey: true });
  mkdirSync(join(policy.pinFile, '..'));
  const marked = `@revoked 10.0.0.1 ssh-ed25519 ${revoked.toString('base64')}\n@cert-authority 10.0.0.1 ssh-rsa ${rsa.toString('base64')}\n`;
  writeFileSync(policy.pinFile, `${marked}10.0.0.1 ssh-ed25519 ${ed25519.toString('base64')}\n`);
  const replace = await prepareHostKeyCheck(policy, 'node1', '10.0.0.1', 22);
  t.true(replace.verify(ecdsa));
  await replace.commit();
  t.is(readFileSync(policy.pinFile, 'utf8'), `${marked}10.0.0.1 ecdsa-sha2-nistp256 ${ecdsa.toString('base64')}\n`);
  const [a, b] = await Promise.all([prepareHostKeyCheck(policy, 'node2', '10.0.0.2', 22), prepareHostKeyCheck(policy, 'node3', '10.0.0.3', 22)]);
  t.true(a!.verify(ed25519) && b!.verify(rsa));
  await Promise.all([a!.commit(), b!.commit()]);
  const text = readFileSync(policy.pinFile, 'utf8');
  t.true(text.includes(`10.0.0.2 ssh-ed25519 `) && text.includes(`10.0.0.3 ssh-rsa `), text);
});

test('a known_hosts file that cannot be read is an error, not an empty file (a pin could contradict it)', async (t) => {
  const policy = policyIn(t);
  const trusted = join(policy.pinFile, '..', '..', 'a_directory');
  mkdirSync(trusted);
  await t.throwsAsync(prepareHostKeyCheck({ ...policy, trustedFiles: [trusted] }, 'node1', '10.0.0.1', 22), { code: 'EISDIR' });
});

test('a line starting with # is a comment even when a name and key follow it (ssh-keygen -F does not find it)', (t) => {
  const dir = mkdtempSync('/tmp/sriov-lxc-known-hosts-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'known_hosts');
  writeFileSync(file, `#commented.example ssh-ed25519 ${ed25519.toString('base64')}\n`);
  t.is(spawnSync('ssh-keygen', ['-F', '#commented.example', '-f', file]).status, 1, 'ssh-keygen -F finds nothing');
  t.deepEqual(parseKnownHosts(readFileSync(file, 'utf8'), file), []);
});

test('strict files: a changed key is refused even with --accept-new-host-key, and the file is left as it was', async (t) => {
  const policy = policyIn(t, { acceptChangedHostKey: true });
  const strictFile = join(policy.pinFile, '..', '..', 'strict_known_hosts');
  const text = `10.0.0.1 ssh-ed25519 ${ed25519.toString('base64')}\n`;
  writeFileSync(strictFile, text);
  const check = await prepareHostKeyCheck({ ...policy, knownHostsFiles: [strictFile] }, 'node1', '10.0.0.1', 22);
  t.false(check.verify(ecdsa));
  await check.commit();
  t.regex(check.refusal()?.hint ?? '', /update .*strict_known_hosts \(ssh-keygen -R '10\.0\.0\.1' -f /);
  t.is(readFileSync(strictFile, 'utf8'), text);
  t.false(existsSync(policy.pinFile));
});
