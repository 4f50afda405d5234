import test from 'ava';
import { isHostAlias, parseSshConfig, resolveSshConfig } from '../../../hosts/ssh-config.ts';
import { matchPatternList } from '../../../hosts/ssh-patterns.ts';
import { UsageError } from '../../../core/errors.ts';
import { fixture } from '../../helpers/fake-host.ts';

const context = { home: '/root', localUser: 'root' };
const blocks = parseSshConfig(fixture('ssh/ssh_config'));

/** ssh -G output captured for each alias: alias → key → values. */
function sshG(text: string): Map<string, Map<string, string[]>> {
  const result = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const alias = /^== (.+)$/.exec(line)?.[1];
    if (alias) {
      current = new Map();
      result.set(alias, current);
      continue;
    }
    const [key = '', ...rest] = line.split(' ');
    current?.set(key, [...(current.get(key) ?? []), rest.join(' ')]);
  }
  return result;
}

test('HostName, User and Port resolve as OpenSSH resolves them (ssh -G)', (t) => {
  const expected = sshG(fixture('ssh/ssh-G.txt'));
  t.is(expected.size, 7);
  for (const [alias, keys] of expected) {
    const resolved = resolveSshConfig(blocks, alias, context);
    t.deepEqual(
      [resolved.hostName ?? alias, resolved.user ?? context.localUser, String(resolved.port ?? 22), resolved.identityFiles.length],
      [keys.get('hostname')?.[0], keys.get('user')?.[0], keys.get('port')?.[0], keys.get('identityfile')?.length],
      alias,
    );
  }
});

test('IdentityFile values accumulate in order, with ~ and %-tokens expanded', (t) => {
  t.deepEqual(resolveSshConfig(blocks, 'storage-node2', context).identityFiles, ['/root/.ssh/keys/eos node.key', '/root/.ssh/id_ed25519']);
  t.deepEqual(resolveSshConfig(blocks, 'p01001534852035.cern.ch', context).identityFiles, [
    '/root/.ssh/id_rsa_operator@p01001534852035.cern.ch',
    '/root/.ssh/id_ed25519',
  ]);
});

test('negated patterns exclude a host from a block', (t) => {
  const special = resolveSshConfig(blocks, 'lab-99', context);
  t.is(special.hostName, '192.0.2.99');
  t.is(special.port, undefined);
  t.is(resolveSshConfig(blocks, 'lab-07', context).port, 2200);
  t.false(matchPatternList('lab-99', ['lab-??', '!lab-99']));
  t.true(matchPatternList('LAB-07', ['lab-??']), 'host names compare case-insensitively');
  t.false(matchPatternList('lab-123', ['lab-??']), '? is exactly one character');
});

test('Match blocks apply as ssh applies them (ssh -G -F ssh_config db.internal: user ignored-by-match)', (t) => {
  t.is(resolveSshConfig(blocks, 'db.internal', context).user, 'ignored-by-match');
});

test('an alias is a name written literally on a Host line', (t) => {
  t.true(isHostAlias(blocks, 'eos1'));
  t.true(isHostAlias(blocks, 'storage-node2'));
  t.false(isHostAlias(blocks, 'lab-07'), 'matched only by a wildcard');
  t.false(isHostAlias(blocks, 'p01001534852033.cern.ch'));
});

test('bad values are named with their line', (t) => {
  const badPort = parseSshConfig('Host a\n  Port ssh\n', 'cfg');
  t.throws(() => resolveSshConfig(badPort, 'a', context), { instanceOf: UsageError, message: 'cfg line 2: Port "ssh" is not a port number' });
  const badToken = parseSshConfig('Host a\n  IdentityFile ~/.ssh/%X\n', 'cfg');
  t.throws(() => resolveSshConfig(badToken, 'a', context), { instanceOf: UsageError, message: /cfg line 2: the token %X is not supported/ });
  t.throws(() => parseSshConfig('Host a\n  IdentityFile "~/unterminated\n', 'cfg'), { instanceOf: UsageError, message: /cfg line 2: unterminated quote/ });
});

// Issue 17 (4): the options that decide the route and the trust, resolved as OpenSSH 9.2 resolves
// them (ssh -G output captured beside the config).
const route = parseSshConfig(fixture('ssh/ssh_config-route'), 'ssh_config-route');

test('ProxyJump, StrictHostKeyChecking, known_hosts files and timeouts resolve as ssh -G shows', (t) => {
  const expected = sshG(fixture('ssh/ssh-G-route.txt'));
  const strictOf: Record<string, string> = { true: 'yes', false: 'no', 'accept-new': 'accept-new', ask: 'ask' };
  for (const [alias, keys] of expected) {
    const r = resolveSshConfig(route, alias, context);
    const jump = r.proxyJump?.map((j) => `${j.user ? `${j.user}@` : ''}${j.host}${j.port ? `:${j.port}` : ''}`).join(',');
    t.is(jump, keys.get('proxyjump')?.[0], `${alias} proxyjump`);
    const ssh = (key: string) => keys.get(key)?.[0] ?? '(none)';
    t.is(String(r.strictHostKeyChecking?.value ?? 'ask'), strictOf[ssh('stricthostkeychecking')] ?? '(unknown)', `${alias} stricthostkeychecking`);
    t.is(r.userKnownHostsFiles?.join(' ') ?? '/root/.ssh/known_hosts /root/.ssh/known_hosts2', ssh('userknownhostsfile'), `${alias} userknownhostsfile`);
    t.is(r.globalKnownHostsFiles?.join(' ') ?? '/etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2', ssh('globalknownhostsfile'), `${alias} globalknownhostsfile`);
    t.is(String(r.connectTimeoutSeconds ?? 'none'), ssh('connecttimeout'), `${alias} connecttimeout`);
    t.is(String(r.serverAliveIntervalSeconds ?? 0), ssh('serveraliveinterval'), `${alias} serveraliveinterval`);
    t.is(String(r.serverAliveCountMax ?? 3), ssh('serveralivecountmax'), `${alias} serveralivecountmax`);
  }
});

const refusedOptions: [string, RegExp][] = [
  ['ProxyCommand ssh -W %h:%p bastion', /cfg line 2: ProxyCommand ssh -W %h:%p bastion is not supported by sriov-lxc: .*/],
  ['HostKeyAlias node-x', /HostKeyAlias node-x is not supported/],
  ['KnownHostsCommand /usr/local/bin/keys %H', /KnownHostsCommand .* is not supported/],
  ['VerifyHostKeyDNS yes', /VerifyHostKeyDNS yes is not supported/],
  ['CanonicalizeHostname yes', /CanonicalizeHostname yes is not supported/],
  ['ProxyUseFdpass yes', /ProxyUseFdpass yes is not supported/],
  ['RemoteCommand tmux attach', /RemoteCommand tmux attach is not supported/],
];
for (const [line, expected] of refusedOptions) {
  test(`refused, naming the option: ${line}`, (t) => {
    const error = t.throws(() => resolveSshConfig(parseSshConfig(`Host a\n  ${line}\n`, 'cfg'), 'a', context), { instanceOf: UsageError });
    t.regex(error!.message, expected);
    t.truthy(error!.hint);
  });
}

test('ProxyCommand is refused with ProxyJump as the fix; harmless values pass', (t) => {
  const error = t.throws(() => resolveSshConfig(parseSshConfig('Host a\n  ProxyCommand nc %h %p\n', 'cfg'), 'a', context), { instanceOf: UsageError });
  t.regex(error!.hint ?? '', /use ProxyJump \[user@\]host\[:port\]/);
  t.notThrows(() => resolveSshConfig(parseSshConfig('Host a\n  ProxyCommand none\n  VerifyHostKeyDNS no\n  CanonicalizeHostname no\n', 'cfg'), 'a', context));
  t.notThrows(() => resolveSshConfig(parseSshConfig('Host b\n  ProxyCommand nc %h %p\n', 'cfg'), 'a', context), 'only options that apply to the host count');
});

test('a route option in a Match block applies where the Match does', (t) => {
  const match = parseSshConfig('Match host *.lab\n  ProxyJump bastion\n', 'cfg');
  t.like(resolveSshConfig(match, 'n1.lab', context).proxyJump, [{ host: 'bastion' }]);
  t.is(resolveSshConfig(match, 'n1.prod', context).proxyJump, undefined);
});

test('ProxyJump forms: user@host:port, [v6]:port, ssh:// URI', (t) => {
  const jump = (v: string) => resolveSshConfig(parseSshConfig(`Host a\n  ProxyJump ${v}\n`, 'cfg'), 'a', context).proxyJump;
  t.like(jump('ops@gw.example:2022'), [{ user: 'ops', host: 'gw.example', port: 2022 }]);
  t.like(jump('[2001:db8::1]:22'), [{ host: '2001:db8::1', port: 22 }]);
  t.like(jump('ssh://root@gw'), [{ user: 'root', host: 'gw' }]);
  t.is(jump('none'), undefined);
});
