import test from 'ava';
import { isHostAlias, parseSshConfig, resolveJumpChain, resolveSshConfig } from '../../../hosts/ssh-config.ts';
import { matchHostname, matchPatternList } from '../../../hosts/ssh-patterns.ts';
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
  t.false(matchPatternList('LAB-07', ['lab-??']), 'match_pattern_list(…, 0): case as written');
  t.true(matchHostname('LAB-07', ['Lab-??']), 'match_hostname: both lower-cased');
  t.false(matchHostname('lab-07', ['lab-*', '!LAB-07']), 'a negated pattern rules out whatever its case');
  // match_pattern: only * and ? are special; everything else is itself.
  t.false(matchPatternList('axb', ['a.b']));
  t.true(matchPatternList('a.b', ['a.b']));
  for (const literal of ['a+b', '(x)|y', 'x[1]', '^a$', 'a{2}', 'a\\b']) {
    t.true(matchPatternList(literal, [literal]), literal);
    t.false(matchPatternList(`${literal}z`, [literal]), `${literal} matches the whole name only`);
  }
  t.true(matchPatternList('a', ['b', '*']), 'any positive pattern');
  t.false(matchPatternList('a', ['!a']), 'a negated pattern alone matches nothing');
  t.false(matchPatternList('a', ['!b']), 'nor does a negated pattern that does not match');
  t.true(matchPatternList('', ['*']) && !matchPatternList('', ['?']));
  t.false(matchPatternList('lab-123', ['lab-??']), '? is exactly one character');
});

test('Match blocks apply as ssh applies them (ssh -G -F ssh_config db.internal: user ignored-by-match)', (t) => {
  t.is(resolveSshConfig(blocks, 'db.internal', context).user, 'ignored-by-match');
});

test('an alias is a name written literally on a Host line', (t) => {
  t.true(isHostAlias(blocks, 'eos1'));
  t.false(isHostAlias(blocks, 'EOS1'), 'case as written: ssh EOS1 does not read Host eos1 (match_pattern)');
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

// Issue 24, the round after the mutation run: the edges of ~, IdentityAgent, the hop syntax and
// the hop limit, each against what ssh 9.2's code does (misc.c tilde_expand, parse_uri,
// parse_user_host_port; ssh.c's IdentityAgent step).
const one = (text: string, host = 'a', ctx: Parameters<typeof resolveSshConfig>[2] = context) => resolveSshConfig(parseSshConfig(text, 'cfg'), host, ctx);

test('~ as tilde_expand reads it: ~ alone, ~//, ~USER of the local user; another user\'s home refused by name', (t) => {
  t.deepEqual(one('Host a\n  IdentityFile ~\n  IdentityFile ~//k\n  IdentityFile ~root/k2\n  IdentityFile /abs/~k\n').identityFiles, ['/root/', '/root/k', '/root/k2', '/abs/~k']);
  t.deepEqual(one('Host a\n  IdentityFile ~/k\n', 'a', { home: '/home/op/', localUser: 'op' }).identityFiles, ['/home/op/k'], 'a home with a trailing slash');
  t.throws(() => one('Host a\n  IdentityFile ~other/k\n'), { instanceOf: UsageError, message: 'cfg line 2: ~other names another user\'s home, which sriov-lxc does not look up' });
  const other = t.throws(() => one('Host a\n  IdentityFile ~other\n'), { instanceOf: UsageError, message: /~other names another user's home/ });
  t.regex(other!.hint ?? '', /write the path in full/);
});

test('IdentityAgent: SSH_AUTH_SOCK and $SSH_AUTH_SOCK are the environment\'s agent, $VAR the socket it names (none when unset), ${VAR} inside a path', (t) => {
  const env = { AGENT_1: '/run/a1.sock', SSH_AUTH_SOCK: '/run/default.sock' };
  const agent = (v: string) => one(`Host a\n  IdentityAgent ${v}\n`, 'a', { ...context, env }).identityAgent;
  t.deepEqual(agent('SSH_AUTH_SOCK'), { kind: 'environment', where: 'cfg line 2' });
  t.deepEqual(agent('$SSH_AUTH_SOCK'), { kind: 'environment', where: 'cfg line 2' });
  t.deepEqual(agent('none'), { kind: 'none', where: 'cfg line 2' });
  t.deepEqual(agent('$AGENT_1'), { kind: 'socket', path: '/run/a1.sock', where: 'cfg line 2' });
  t.deepEqual(agent('$AGENT_2'), { kind: 'none', where: 'cfg line 2' });
  t.deepEqual(agent('${AGENT_1}.d/%r'), { kind: 'socket', path: '/run/a1.sock.d/root', where: 'cfg line 2' });
  t.deepEqual(agent('/run/%%x'), { kind: 'socket', path: '/run/%x', where: 'cfg line 2' });
  t.throws(() => agent('$A-B'), { instanceOf: UsageError, message: 'cfg line 2: IdentityAgent $A-B: "A-B" is not an environment variable name' });
  t.throws(() => agent('${}'), { instanceOf: UsageError, message: /cfg line 2: \$\{\} has no value/ });
  t.throws(() => agent('${AGENT_1'), { instanceOf: UsageError, message: /cfg line 2: the environment variable in "\$\{AGENT_1" has no closing \}/ });
  t.throws(() => agent('/run/x%'), { instanceOf: UsageError, message: /cfg line 2: the token % is not supported/ }, 'a % at the end (ssh: invalid format)');
});

test('ProxyJump hops read as parse_uri and parse_user_host_port read them', (t) => {
  const jump = (v: string) => one(`Host a\n  ProxyJump ${v}\n`).proxyJump;
  t.deepEqual(jump('ssh://u%20v;fingerprint=SHA256:x@gw.example.:2200/'), [{ host: 'gw.example', user: 'u v', port: 2200, where: 'cfg line 2' }]);
  t.deepEqual(jump('ssh://g_w-1.example'), [{ host: 'g_w-1.example', where: 'cfg line 2' }]);
  t.deepEqual(jump('a@b@gw:'), [{ host: 'gw', user: 'a@b', where: 'cfg line 2' }]);
  t.deepEqual(jump('a%20b@gw'), [{ host: 'gw', user: 'a%20b', where: 'cfg line 2' }], 'only the URI form is URL-decoded');
  t.deepEqual(jump('[::1]'), [{ host: '::1', where: 'cfg line 2' }]);
  t.deepEqual(jump('h1,u@h2:2,h3'), [{ host: 'h1', where: 'cfg line 2' }, { host: 'h2', user: 'u', port: 2, where: 'cfg line 2' }, { host: 'h3', where: 'cfg line 2' }]);
  for (const bad of ['ssh://%zz@gw', 'ssh://a..b', 'ssh://_gw', 'ssh://g!w', 'ssh://;x@gw', 'ssh://', '[]:22', 'gw:22:23', 'ssh://gw:x']) {
    const error = t.throws(() => jump(bad), { instanceOf: UsageError, message: /^cfg line 2: (cannot read the jump host|ProxyJump port)/ }, bad);
    if (/cannot read/.test(error?.message ?? '')) t.regex(error!.hint ?? '', /\[user@\]host\[:port\]/);
  }
});

test('a chain of 8 jump hosts is followed; a 9th is refused as a loop', (t) => {
  const hosts = (n: number) => Array.from({ length: n }, (_, i) => `h${i + 1}`);
  const chain = (n: number) => {
    const config = parseSshConfig(`Host a\n  ProxyJump ${hosts(n).join(',')}\n`, 'cfg');
    return resolveJumpChain(config, resolveSshConfig(config, 'a', context), context);
  };
  t.deepEqual(chain(8).map((h) => h.spec.host), hosts(8), 'first connected first');
  t.deepEqual(chain(8)[7]?.config.proxyJump?.map((j) => j.host), hosts(7), 'the last hop is reached with the rest of the list as its -J');
  const loop = t.throws(() => chain(9), { instanceOf: UsageError, message: 'cfg line 2: more than 8 jump hosts (h2 ← h3 ← h4 ← h5 ← h6 ← h7 ← h8 ← h9 ← h1): a ProxyJump loop in ssh_config?' });
  t.regex(loop!.hint ?? '', /ProxyJump none/);
});

test('a hop\'s user and port from the list win over its block, as ssh\'s -l and -p do; its block fills the rest', (t) => {
  const config = parseSshConfig('Host a\n  ProxyJump ops@gw:2200\nHost gw\n  User block-user\n  Port 22\n  HostName 192.0.2.9\nHost b\n  ProxyJump gw\n', 'cfg');
  const [hop] = resolveJumpChain(config, resolveSshConfig(config, 'a', context), context);
  t.like(hop?.config, { user: 'ops', port: 2200, hostName: '192.0.2.9' });
  t.is(hop?.config.proxyJump, undefined);
  const [plain] = resolveJumpChain(config, resolveSshConfig(config, 'b', context), context);
  t.like(plain?.config, { user: 'block-user', port: 22, hostName: '192.0.2.9' });
});

// Written against the survivors of the mutation run over lines 1-326 (README's table).
test('a Host or Match line without patterns, an Include without a reader, an unreadable line: refused naming the line, with the fix', (t) => {
  t.throws(() => parseSshConfig('Host \n', 'cfg'), { instanceOf: UsageError, message: 'cfg line 1: Host needs at least one pattern' });
  t.throws(() => parseSshConfig('Match =\n', 'cfg'), { instanceOf: UsageError, message: 'cfg line 1: Match needs at least one criterion' });
  t.notThrows(() => parseSshConfig('User \n', 'cfg'), 'another keyword without a value is judged where it applies');
  const include = t.throws(() => parseSshConfig('Include x.conf\n', 'cfg'), { instanceOf: UsageError, message: 'cfg line 1: Include is not supported here' });
  t.regex(include!.hint ?? '', /copy the included Host blocks/);
  const unreadable = t.throws(() => parseSshConfig('Host a\n  -Port 22\n', 'cfg'), { instanceOf: UsageError, message: 'cfg line 2: cannot read "-Port 22"' });
  t.regex(unreadable!.hint ?? '', /Keyword value/);
  t.deepEqual(parseSshConfig('  # c\n\t\n  #\n', 'cfg').files[0]?.lines, [], 'blank and comment lines');
  const unterminated = t.throws(() => parseSshConfig("User 'x\n", 'cfg'), { instanceOf: UsageError });
  t.regex(unterminated!.hint ?? '', /close the quote/);
});

test('%-tokens and ${VAR}: an unknown token names the ones there are; an unset or empty variable name is named; HostName expands %h only', (t) => {
  const unknown = t.throws(() => one('Host a\n  IdentityFile ~/%X\n'), { instanceOf: UsageError });
  t.regex(unknown!.hint ?? '', /use a literal path, ~ or %C, %L, %i, %k, %l, %n, %p, %d, %h, %r, %u or %%/);
  const unset = t.throws(() => one('Host a\n  IdentityFile ${SRIOV_UNSET_X}/k\n', 'a', { ...context, env: {} }), { instanceOf: UsageError, message: 'cfg line 2: ${SRIOV_UNSET_X} has no value in the environment' });
  t.regex(unset!.hint ?? '', /^set SRIOV_UNSET_X or write the path literally$/);
  const empty = t.throws(() => one('Host a\n  IdentityFile ${}/k\n', 'a', { ...context, env: {} }), { instanceOf: UsageError });
  t.regex(empty!.hint ?? '', /^set the variable or write the path literally$/);
  t.deepEqual(one('Host a\n  IdentityFile ${A}${B}%%${A}\n', 'a', { ...context, env: { A: 'x', B: 'y' } }).identityFiles, ['xy%x']);
  t.is(one('Host a\n  HostName n-%h.example\n').hostName, 'n-a.example');
  t.throws(() => one('Host a\n  HostName %p.example\n'), { instanceOf: UsageError, message: /cfg line 2: the token %p is not supported/ });
});

// Prepared against the mutants a read of lines 338-641 expected to survive.
test('a resolved host holds only what its lines set: no hostName when the connection goes to the alias as given, no empty algorithms', (t) => {
  t.deepEqual(one('Host a\n  User u\n'), { identityFiles: [], user: 'u' });
  t.deepEqual(one('Host b\n  Port 2\n'), { identityFiles: [] });
  t.deepEqual(one('Host a\n  HostName a\n'), { hostName: 'a', identityFiles: [] }, 'HostName written: kept even when it is the alias');
});

test('IdentityFile none, in any case, is no file (ssh.c load_public_identity_files: strcasecmp)', (t) => {
  t.deepEqual(one('Host a\n  IdentityFile none\n  IdentityFile NONE\n  IdentityFile ~/k\n').identityFiles, ['/root/k']);
});

test('%L is the local host name up to its first dot, %l all of it, %i the uid given (sshconnect.h DEFAULT_CLIENT_PERCENT_EXPAND_ARGS, ssh.c shorthost)', (t) => {
  const ctx = { ...context, localHost: 'ctl.example.org', uid: 1000 };
  t.deepEqual(one('Host a\n  IdentityFile /k/%L-%l-%i\n', 'a', ctx).identityFiles, ['/k/ctl-ctl.example.org-1000']);
});

test('algorithm lists: a pattern is refused by name (sriov-lxc does not expand it), an empty name between commas is skipped', (t) => {
  const error = t.throws(() => one('Host a\n  HostKeyAlgorithms ssh-ed25519*\n'), { instanceOf: UsageError, message: 'cfg line 2: HostKeyAlgorithms ssh-ed25519*: sriov-lxc does not expand patterns in algorithm lists' });
  t.regex(error!.hint ?? '', /list the algorithms by name; sriov-lxc knows .*ssh-ed25519/);
  t.deepEqual(one('Host a\n  KexAlgorithms ^curve25519-sha256,\n').algorithms, { kex: { prepend: ['curve25519-sha256'] } });
});

// Written against the survivors of the Stryker run over lines 338-443 and 728-733.
test('Match exec and an unknown Match attribute are refused with the fix', (t) => {
  const exec = t.throws(() => one('Match host a exec true\n  User x\n'), { instanceOf: UsageError, message: /cfg line 1: Match exec is not supported/ });
  t.regex(exec!.hint ?? '', /write the block as Host or Match host\/user/);
  const unknown = t.throws(() => one('Match tagged x\n  User x\n'), { instanceOf: UsageError, message: /cfg line 1: Match tagged cannot be evaluated/ });
  t.regex(unknown!.hint ?? '', /use Match host, originalhost, user, localuser, all, canonical or final/);
});

// Written against the survivors of the Stryker run over lines 596-640 (ssh -G on the same lines: port 22, connecttimeout 5).
test('a leading vertical tab is a blank for strtonum and strtol; a bad port names the range', (t) => {
  t.like(one('Host a\n  Port "\v22"\n  ConnectTimeout "\v5"\n'), { port: 22, connectTimeoutSeconds: 5 });
  const error = t.throws(() => one('Host a\n  Port ssh\n'), { instanceOf: UsageError });
  t.is(error!.hint, 'use a number from 1 to 65535');
});
