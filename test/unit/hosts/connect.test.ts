import test, { type ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { openHost, resolveEndpoint, resolveSsh } from '../../../hosts/connect.ts';
import { LocalHost } from '../../../hosts/local.ts';
import { SshHost, classifyConnectError } from '../../../hosts/ssh.ts';
import { FatalError, TransportError, UsageError } from '../../../core/errors.ts';
import type { HostPlan, SshPlan } from '../../../inventory/plan.ts';
import { fixture } from '../../helpers/fake-host.ts';

/** A home directory with the fixture ~/.ssh/config and the key files it names. */
function home(t: ExecutionContext, withConfig = true): string {
  const dir = mkdtempSync('/tmp/sriov-lxc-home-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, '.ssh', 'keys'), { recursive: true });
  if (withConfig) writeFileSync(join(dir, '.ssh', 'config'), fixture('ssh/ssh_config'));
  for (const key of ['id_ed25519', 'keys/eos node.key']) writeFileSync(join(dir, '.ssh', key), 'not read by these tests');
  return dir;
}

const plan = (ssh: Partial<SshPlan>): SshPlan => ({ address: 'node1.example.org', user: 'root', port: 22, agent: false, ...ssh });

const NO_SYSTEM_CONFIG = { systemFile: '/dev/null' };

test('without ssh_config the plan is used as it is', (t) => {
  const h = home(t, false);
  t.deepEqual(resolveEndpoint('node1', plan({ key: join(h, '.ssh', 'id_ed25519') }), h, undefined, NO_SYSTEM_CONFIG), {
    host: 'node1.example.org',
    port: 22,
    username: 'root',
    privateKeyPath: join(h, '.ssh', 'id_ed25519'),
  });
});

// Issue 24: HostName/User/Port came only from a Host line naming the address literally.
test('an address goes through ssh_config as for `ssh ADDRESS`: Host * sets the user (ssh -G: user nobody)', (t) => {
  const h = home(t);
  t.deepEqual(resolveEndpoint('node1', plan({ key: join(h, '.ssh', 'nope') }), h, undefined, NO_SYSTEM_CONFIG), {
    host: 'node1.example.org',
    port: 22,
    username: 'nobody',
    privateKeyPath: join(h, '.ssh', 'id_ed25519'),
  });
});

test('sshConfigHost takes HostName, User, Port and the first existing IdentityFile from ~/.ssh/config', (t) => {
  const h = home(t);
  t.deepEqual(resolveEndpoint('node2', plan({ sshConfigHost: 'storage-node2', key: join(h, '.ssh', 'id_ed25519') }), h, undefined), {
    host: 'p01001534852034.cern.ch',
    port: 2222,
    username: 'nobody',
    privateKeyPath: join(h, '.ssh', 'keys', 'eos node.key'),
  });
});

test('an address written as a Host alias is resolved like sshConfigHost', (t) => {
  const h = home(t);
  const endpoint = resolveEndpoint('eos', plan({ address: 'eos1', agent: true }), h, '/run/agent.sock');
  t.is(endpoint.host, 'p01001534852033.cern.ch');
  t.is(endpoint.username, 'root');
  t.is(endpoint.agentSocket, '/run/agent.sock');
  t.is(endpoint.privateKeyPath, join(h, '.ssh', 'id_ed25519'), 'id_ed25519_eos does not exist; the next IdentityFile does');
});

test('unusable SSH settings are usage errors that say what to fix', (t) => {
  const h = home(t, false);
  t.throws(() => resolveEndpoint('n', plan({ sshConfigHost: 'storage-node2' }), h, undefined), { instanceOf: UsageError, message: /not a Host alias/ });
  t.throws(() => resolveEndpoint('n', plan({ agent: true }), h, undefined), { instanceOf: UsageError, message: /SSH_AUTH_SOCK is not set/ });
  t.throws(() => resolveEndpoint('n', plan({ key: join(h, 'nope') }), h, undefined), { instanceOf: UsageError, message: /does not exist/ });
  t.throws(() => resolveEndpoint('n', plan({}), h, undefined), { instanceOf: UsageError, message: /no way to authenticate/ });
});

test('openHost gives a LocalHost for --local and an SshHost otherwise, without connecting', (t) => {
  const h = home(t);
  // openHost reads only name and ssh of the plan.
  const hostPlan = { name: 'node1', ssh: plan({ key: join(h, '.ssh', 'id_ed25519') }) } as HostPlan;
  t.true(openHost(hostPlan, { local: true, stateDir: h }) instanceof LocalHost);
  const ssh = openHost(hostPlan, { local: false, stateDir: h, home: h });
  t.true(ssh instanceof SshHost);
  t.is(ssh.name, 'node1');
});

// Error shapes as ssh2 1.17 (lib/client.js) and net raise them.
test('connect errors: refused, reset and timeouts are transient; authentication is not', (t) => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:22'), { code: 'ECONNREFUSED', level: 'client-socket' });
  t.true(classifyConnectError(refused, 'node1', 'root@127.0.0.1:22') instanceof TransportError);
  const handshake = Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' });
  t.true(classifyConnectError(handshake, 'node1', 't') instanceof TransportError);
  t.true(classifyConnectError(new Error('Not connected to server'), 'node1', 't') instanceof TransportError);
  const auth = Object.assign(new Error('All configured authentication methods failed'), { level: 'client-authentication' });
  const fatal = classifyConnectError(auth, 'node1', 'root@10.0.0.1:22');
  t.true(fatal instanceof FatalError);
  t.regex(fatal.hint ?? '', /user, key and agent/);
  const encrypted = new Error('Cannot parse privateKey: Encrypted private OpenSSH key detected, but no passphrase given');
  t.true(classifyConnectError(encrypted, 'node1', 't') instanceof UsageError);
  t.true(classifyConnectError(Object.assign(new Error('getaddrinfo ENOTFOUND nodex'), { code: 'ENOTFOUND' }), 'node1', 't') instanceof FatalError);
});

// Issue 17 (10): an encrypted key file with agent: true stopped at the key ("encrypted") and never
// tried the agent; the hint said to set agent: true, which was set.
function encryptedKey(t: ExecutionContext): string {
  const dir = mkdtempSync('/tmp/sriov-lxc-enckey-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'passphrase', '-C', 'test', '-f', join(dir, 'id_enc')]);
  return join(dir, 'id_enc');
}

test('an encrypted key goes through the agent: with agent: true, and with only SSH_AUTH_SOCK set', (t) => {
  const h = home(t, false);
  const key = encryptedKey(t);
  for (const agent of [true, false]) {
    const endpoint = resolveEndpoint('n', plan({ key, agent }), h, '/run/agent.sock');
    t.is(endpoint.agentSocket, '/run/agent.sock', `agent: ${agent}`);
    t.is(endpoint.privateKeyPath, undefined, 'the key file is not given to ssh2, which would stop at it');
  }
});

test('an encrypted key without an agent is refused with the ssh-add fix', (t) => {
  const h = home(t, false);
  const key = encryptedKey(t);
  const error = t.throws(() => resolveEndpoint('n', plan({ key }), h, undefined), { instanceOf: UsageError });
  t.regex(error!.message, /is encrypted and sriov-lxc does not ask for passphrases/);
  t.regex(error!.hint ?? '', /ssh-add .*id_enc.*SSH_AUTH_SOCK/);
});

// Issue 17 (4): ProxyJump, StrictHostKeyChecking, UserKnownHostsFile and the timeouts of
// ~/.ssh/config reach the connection.
function routeHome(t: ExecutionContext): string {
  const dir = mkdtempSync('/tmp/sriov-lxc-home-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, '.ssh'), { recursive: true });
  writeFileSync(join(dir, '.ssh', 'config'), fixture('ssh/ssh_config-route'));
  writeFileSync(join(dir, '.ssh', 'id_bastion'), 'not read by these tests');
  writeFileSync(join(dir, '.ssh', 'id_node'), 'not read by these tests');
  return dir;
}

test('ProxyJump through an alias, StrictHostKeyChecking yes with its files, ConnectTimeout and keepalives', (t) => {
  const h = routeHome(t);
  const r = resolveSsh('a', plan({ sshConfigHost: 'node-a', key: join(h, '.ssh', 'id_node') }), h, undefined, '/state');
  t.deepEqual(r.endpoint, {
    host: '10.20.0.11',
    port: 22,
    username: 'root',
    privateKeyPath: join(h, '.ssh', 'id_node'),
    jumps: [
      {
        host: 'bastion.example.org',
        port: 2022,
        username: 'jump',
        privateKeyPath: join(h, '.ssh', 'id_bastion'),
        // The jump host's own block decides its trust, as for the ssh that ssh runs for it: pinned on first use.
        hostKeys: { pinFile: '/state/known_hosts', trustedFiles: [join(h, '.ssh', 'known_hosts'), join(h, '.ssh', 'known_hosts2'), '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'] },
      },
    ],
  });
  t.deepEqual(r.knownHosts.knownHostsFiles, [join(h, '.ssh', 'known_hosts.lab'), '/etc/ssh/lab_known_hosts', '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'], 'strict: these files only');
  t.is(r.readyTimeoutMs, 7000);
  t.is(r.keepaliveIntervalMs, 15000);
  t.is(r.keepaliveCountMax, 4);
  t.deepEqual(r.warnings, []);
});

test('accept-new pins on first use; the jump from user@host:port', (t) => {
  const h = routeHome(t);
  const r = resolveSsh('b', plan({ sshConfigHost: 'node-b', key: join(h, '.ssh', 'id_node') }), h, undefined, '/state');
  t.like(r.endpoint.jumps?.[0], { host: 'bastion.example.org', port: 2022, username: 'ops' });
  t.is(r.endpoint.jumps?.length, 1);
  t.is(r.knownHosts.knownHostsFiles, undefined);
  t.is(r.knownHosts.pinFile, '/state/known_hosts');
  t.true(r.knownHosts.trustedFiles.includes(join(h, '.ssh', 'known_hosts')));
});

test('StrictHostKeyChecking no still pins and refuses a changed key, and says so', (t) => {
  const h = routeHome(t);
  const r = resolveSsh('c', plan({ sshConfigHost: 'node-c', key: join(h, '.ssh', 'id_node') }), h, undefined, '/state');
  t.is(r.knownHosts.knownHostsFiles, undefined);
  t.deepEqual(r.knownHosts.trustedFiles, ['/dev/null', '/dev/null']);
  t.regex(r.warnings[0] ?? '', /StrictHostKeyChecking no for c: sriov-lxc still pins the host key on first use and refuses a changed one/);
});

test('route options apply to a plain address through Host patterns, as for ssh ADDRESS', (t) => {
  const h = home(t, false);
  writeFileSync(join(h, '.ssh', 'config'), 'Host 10.9.*\n  ProxyCommand nc -X connect -x proxy:8080 %h %p\n');
  t.throws(() => resolveSsh('n', plan({ address: '10.9.0.1', key: join(h, '.ssh', 'id_ed25519') }), h, undefined), { instanceOf: UsageError, message: /ProxyCommand .* is not supported by sriov-lxc/ });
});

test('IdentitiesOnly yes: the IdentityFile alone; with the agent (which offers every key it holds) it is refused by name', (t) => {
  const h = home(t, false);
  writeFileSync(join(h, '.ssh', 'config'), `Host n1\n  IdentityFile ${join(h, '.ssh', 'id_ed25519')}\n  IdentitiesOnly yes\n`);
  t.like(resolveEndpoint('n', plan({ address: 'n1' }), h, '/run/agent.sock', NO_SYSTEM_CONFIG), { privateKeyPath: join(h, '.ssh', 'id_ed25519'), agentSocket: undefined });
  t.throws(() => resolveEndpoint('n', plan({ address: 'n1', agent: true }), h, '/run/agent.sock', NO_SYSTEM_CONFIG), {
    instanceOf: UsageError,
    message: /config line 3: IdentitiesOnly yes for n, but sriov-lxc would authenticate through ssh-agent/,
  });
});

// ConnectTimeout (ssh_config) reaches the connection itself: a node whose sshd accepts TCP but never
// answers the SSH banner (a hung sshd) is given up after ConnectTimeout, not after the default 15 s.
// The server is this test's own, on loopback.
test('ConnectTimeout from ssh_config bounds the SSH handshake of the connection it configures', async (t) => {
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const port = (server.address() as AddressInfo).port;
  const dir = mkdtempSync('/tmp/sriov-lxc-home-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, '.ssh'), { recursive: true });
  writeFileSync(join(dir, '.ssh', 'config'), 'Host silent\n  HostName 127.0.0.1\n  ConnectTimeout 1\n');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, '.ssh', 'id_node')]);
  const r = resolveSsh('silent', plan({ sshConfigHost: 'silent', port, key: join(dir, '.ssh', 'id_node') }), dir, undefined, join(dir, 'state'), NO_SYSTEM_CONFIG);
  t.is(r.readyTimeoutMs, 1000);
  const host = new SshHost({ name: 'silent', endpoint: r.endpoint, knownHosts: r.knownHosts, acceptChangedHostKey: false, readyTimeoutMs: r.readyTimeoutMs, retry: { retries: 0 } });
  const started = Date.now();
  const error = await t.throwsAsync(host.exec(['true']));
  const seconds = (Date.now() - started) / 1000;
  t.regex(error?.message ?? '', /timed out|handshake/i, error?.message);
  // 1 s configured; without the pass-through ssh2 waits its own 15 s default (SshHost's default).
  t.true(seconds < 10, `gave up after ${seconds.toFixed(1)} s`);
  await host.close();
});
