// Issue 24: ssh_config as ssh reads it, with OpenSSH's own `ssh -G` as the oracle on the same
// files: ~/.ssh/config and /etc/ssh (its ssh_config and ssh_config.d) are bind-mounted over the
// real ones in a private mount namespace (`unshare --mount`, needs root), so ssh reads exactly
// the files sriov-lxc reads, including the system file and the Includes.
import test, { type ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../../core/errors.ts';
import { isHostAlias, loadSshConfig, resolveJumpChain, resolveSshConfig, type ResolvedSshConfig } from '../../../hosts/ssh-config.ts';

interface Tree {
  home: string;
  etc: string;
}

function tree(t: ExecutionContext, files: Record<string, string>): Tree {
  const dir = mkdtempSync(join(tmpdir(), 'sriov-ssh-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const home = join(dir, 'home');
  const etc = join(dir, 'etc-ssh');
  mkdirSync(join(home, '.ssh'), { recursive: true });
  mkdirSync(etc, { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    const full = path.startsWith('~/') ? join(home, path.slice(2)) : join(etc, path.replace(/^\/etc\/ssh\//, ''));
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, text);
  }
  return { home, etc };
}

/** `ssh -G [ARGS] HOST` with our files in place of root's home and /etc/ssh. */
function sshG(files: Tree, host: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): Record<string, string[]> {
  const script = 'h=$1 e=$2; shift 2; mount --bind "$h" /root && mount --bind "$e" /etc/ssh && exec ssh -G "$@"';
  const out = execFileSync('unshare', ['--mount', 'sh', '-c', script, 'sh', files.home, files.etc, ...args, host], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env });
  const keys: Record<string, string[]> = {};
  for (const line of out.split('\n')) {
    const [key = '', ...rest] = line.split(' ');
    (keys[key] ??= []).push(rest.join(' '));
  }
  return keys;
}

function ours(files: Tree, host: string, env?: NodeJS.ProcessEnv): ResolvedSshConfig {
  return resolveSshConfig(loadSshConfig({ home: files.home, systemDir: files.etc }), host, { home: files.home, localUser: 'root', ...(env ? { env } : {}) });
}

/** hostname, user, port, identityfile as ssh -G prints them (`~` for the home). */
function asSshG(files: Tree, host: string, r: ResolvedSshConfig): string[] {
  const tilde = (p: string) => (p.startsWith(`${files.home}/`) ? `~${p.slice(files.home.length)}` : p);
  const identities = r.identityFiles.length > 0 ? r.identityFiles.map(tilde) : ['~/.ssh/id_rsa', '~/.ssh/id_ecdsa', '~/.ssh/id_ecdsa_sk', '~/.ssh/id_ed25519', '~/.ssh/id_ed25519_sk', '~/.ssh/id_xmss', '~/.ssh/id_dsa'];
  return [r.hostName ?? host, r.user ?? 'root', String(r.port ?? 22), ...identities];
}

const SITE = {
  '~/.ssh/config': [
    'Include conf.d/*.conf',
    'Host *.prod',
    '    HostName %h.mgmt.example',
    '    Port 2222',
    '    HostKeyAlgorithms ssh-ed25519',
    '# User is deploy by now (conf.d): Match user sees it',
    'Match originalhost db*.prod user deploy',
    '    Port 2200',
    '    IdentityFile ~/.ssh/id_db',
    'Match host *.mgmt.example',
    '    IdentityFile ~/.ssh/id_mgmt',
    'Host lab-* !lab-9',
    '    User labuser',
    'Match final host *.example.org',
    '    User final-user',
    'Match !host *.example.org !originalhost lab-*',
    '    IdentityFile ~/.ssh/id_elsewhere',
    '',
  ].join('\n'),
  '~/.ssh/conf.d/10-users.conf': 'Host *.prod\n    User deploy\n',
  '~/.ssh/conf.d/ignored.txt': 'Host *\n    User never-read\n',
  '/etc/ssh/ssh_config': [
    'Include ssh_config.d/*.conf',
    'Host *',
    '    SendEnv LANG LC_*',
    '    HashKnownHosts yes',
    '    GSSAPIAuthentication yes',
    '    Port 2022',
    '',
  ].join('\n'),
  '/etc/ssh/ssh_config.d/20-site.conf': 'Host node9\n    HostName node9.example.org\n    User site\nHost *\n    IdentityFile ~/.ssh/id_site\n',
};

const HOSTS = ['node1.prod', 'db1.prod', 'lab-3', 'lab-9', 'node9', 'plain.example.org', 'other'];

test('HostName (%h), User, Port, IdentityFile: every matching block of both files and their Includes, in ssh\'s order (ssh -G)', (t) => {
  const files = tree(t, SITE);
  for (const host of HOSTS) {
    const g = sshG(files, host);
    t.deepEqual(asSshG(files, host, ours(files, host)), [g.hostname?.[0], g.user?.[0], g.port?.[0], ...(g.identityfile ?? [])], host);
  }
});

test('the issue\'s example: Host *.prod with HostName %h.mgmt.example, Port, User and HostKeyAlgorithms goes where ssh goes', (t) => {
  const files = tree(t, SITE);
  const r = ours(files, 'node1.prod');
  t.like(r, { hostName: 'node1.prod.mgmt.example', user: 'deploy', port: 2222 });
  t.deepEqual(r.algorithms?.serverHostKey, sshG(files, 'node1.prod').hostkeyalgorithms?.[0]?.split(','));
});

test('options that change where or how sriov-lxc connects, and that it does not implement, are refused naming option and line', (t) => {
  const refused: [string, RegExp][] = [
    ['BindAddress 10.0.0.5', /config line 2: BindAddress 10\.0\.0\.5 is not supported by sriov-lxc/],
    ['BindInterface eth1', /BindInterface eth1 is not supported/],
    ['CertificateFile ~/.ssh/id_ed25519-cert.pub', /CertificateFile .* is not supported/],
    ['PubkeyAcceptedAlgorithms rsa-sha2-512', /PubkeyAcceptedAlgorithms rsa-sha2-512 is not supported/],
    ['RevokedHostKeys /etc/ssh/revoked', /RevokedHostKeys .* is not supported/],
    ['KexAlgorithms sntrup761x25519-sha512@openssh.com', /KexAlgorithms names sntrup761x25519-sha512@openssh\.com, which sriov-lxc's SSH library \(ssh2\) does not implement/],
    ['MACs umac-128-etm@openssh.com', /MACs names umac-128-etm@openssh\.com, which sriov-lxc's SSH library/],
    ['CanonicalizePermittedCNAMEs *.a.example:*.b.example', /CanonicalizePermittedCNAMEs .* is not supported/],
  ];
  for (const [line, expected] of refused) {
    const files = tree(t, { '~/.ssh/config': `Host a\n  ${line}\n  HostName 127.0.0.1\n` });
    t.notThrows(() => sshG(files, 'a'), `ssh itself accepts ${line}`);
    const error = t.throws(() => ours(files, 'a'), { instanceOf: UsageError }, line);
    t.regex(error!.message, expected);
    t.truthy(error!.hint);
  }
});

test('algorithm lists ssh2 implements are honoured: exact, +append, ^prepend, -remove', (t) => {
  const files = tree(t, { '~/.ssh/config': 'Host a\n  KexAlgorithms curve25519-sha256\n  Ciphers +aes128-cbc\n  MACs ^hmac-sha2-512\n  HostKeyAlgorithms -ssh-rsa,ecdsa-*\n  AddressFamily inet\n' });
  t.deepEqual(ours(files, 'a').algorithms, {
    kex: ['curve25519-sha256'],
    cipher: { append: ['aes128-cbc'] },
    hmac: { prepend: ['hmac-sha2-512'] },
    serverHostKey: { remove: ['ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa'] },
  });
  t.is(ours(files, 'a').family, 4);
  t.is(sshG(files, 'a').kexalgorithms?.[0], 'curve25519-sha256');
});

test('Match exec and Match localnetwork are refused where they decide a block, skipped where ssh skips them', (t) => {
  const exec = tree(t, { '~/.ssh/config': 'Match host a exec "test -e /tmp/x"\n  User other\n' });
  t.throws(() => ours(exec, 'a'), { instanceOf: UsageError, message: /config line 1: Match exec is not supported by sriov-lxc: it runs no commands from ssh_config/ });
  t.notThrows(() => ours(exec, 'b'), 'host b fails the first criterion: ssh never runs the command');
  const network = tree(t, { '~/.ssh/config': 'Match localnetwork 10.0.0.0/8\n  User other\n' });
  t.throws(() => ours(network, 'a'), { instanceOf: UsageError, message: /Match localnetwork cannot be evaluated by sriov-lxc/ });
});

test('Include in a Host block applies only when the block does; a system file may not Include ~', (t) => {
  const files = tree(t, {
    '~/.ssh/config': 'Host gw\n  Include inner.conf\nHost *\n  User outer\n',
    '~/.ssh/inner.conf': 'User inner\nHost *\n  Port 2999\n',
  });
  for (const host of ['gw', 'x']) {
    const g = sshG(files, host);
    const r = ours(files, host);
    t.deepEqual([r.user ?? 'root', String(r.port ?? 22)], [g.user?.[0], g.port?.[0]], host);
  }
  const bad = tree(t, { '/etc/ssh/ssh_config': 'Include ~/.ssh/x.conf\n' });
  t.throws(() => ours(bad, 'a'), { instanceOf: UsageError, message: /bad include path ~\/\.ssh\/x\.conf/ });
});

// ProxyJump as ssh 9.2 follows it (ssh.c): for `ProxyJump first,…,last` it runs
// `ssh [-l USER] [-p PORT] [-J first,…] -W '[%h]:%p' last`, whose own config applies to `last`
// (the -J list winning over its ProxyJump), and so on down the list; a single hop's own
// ProxyJump applies in turn. The oracle follows that with ssh's own answers: `ssh -G` on the
// target gives the list, `ssh -G -l -p -J` on each hop gives that hop and the rest.
const CHAIN = {
  '~/.ssh/config': [
    'Host node',
    '    HostName 10.1.0.5',
    '    ProxyJump ops@gw2:2202,gw3',
    'Host gw3',
    '    HostName 192.0.2.3',
    '    User three',
    '    IdentityFile ~/.ssh/id_gw3',
    '    ProxyJump overridden-by-the-list',
    'Host gw2',
    '    HostName 192.0.2.2',
    '    User overridden-by-ops',
    '    Port 22',
    '    IdentityFile ~/.ssh/id_%r_%p',
    '    ProxyJump gw1',
    'Host gw1',
    '    HostName 192.0.2.1',
    '    ProxyJump none',
    'Host direct',
    '    ProxyJump none',
    'Host v6',
    '    ProxyJump ssh://a%40b;x=1@gw0.example.:2022/,c@d@[2001:db8::7]:2201',
    'Host default-bastion',
    '    ProxyJump none',
    'Host *',
    '    ProxyJump default-bastion',
    '    IdentityFile ~/.ssh/id_all',
    '',
  ].join('\n'),
};

/** The hops as ssh(1) reaches them, asked of ssh -G at each step: [invocation, its -G output]. */
function sshChain(files: Tree, host: string): { args: string[]; host: string; g: Record<string, string[]> }[] {
  const hops: { args: string[]; host: string; g: Record<string, string[]> }[] = [];
  let list = sshG(files, host).proxyjump?.[0];
  while (list !== undefined && list !== 'none' && hops.length < 10) {
    const comma = list.lastIndexOf(',');
    const last = list.slice(comma + 1);
    const rest = comma < 0 ? undefined : list.slice(0, comma);
    const uri = last.replace(/^ssh:\/\//, '');
    const at = uri.lastIndexOf('@');
    const user = at < 0 ? undefined : decodeURIComponent(uri.slice(0, at));
    const hp = /^(?:\[(.*)\]|([^:]*))(?::(\d+))?$/.exec(uri.slice(at + 1))!;
    const args = [...(user ? ['-l', user] : []), ...(hp[3] ? ['-p', hp[3]] : []), ...(rest ? ['-J', rest] : [])];
    const hopHost = hp[1] ?? hp[2]!;
    const g = sshG(files, hopHost, args);
    hops.unshift({ args, host: hopHost, g });
    list = g.proxyjump?.[0];
  }
  return hops;
}

test('ProxyJump chains: every hop resolved as the ssh that ssh runs for it (its own block, -l/-p/-J from the list), first hop first (ssh -G at each step)', (t) => {
  const files = tree(t, CHAIN);
  const config = loadSshConfig({ home: files.home, systemDir: files.etc });
  const context = { home: files.home, localUser: 'root' };
  for (const host of ['node', 'gw3', 'direct', 'v6', 'other']) {
    const expected = sshChain(files, host);
    const chain = resolveJumpChain(config, resolveSshConfig(config, host, context), context);
    t.deepEqual(
      chain.map((hop) => [hop.spec.host, ...asSshG(files, hop.spec.host, hop.config)]),
      // ssh -G prints IdentityFile before it expands %r and %p (ssh.c expands them when loading the keys): with its own user and port.
      expected.map((hop) => [hop.host, hop.g.hostname?.[0], hop.g.user?.[0], hop.g.port?.[0], ...(hop.g.identityfile ?? []).map((f) => f.replace('%r', hop.g.user?.[0] ?? '').replace('%p', hop.g.port?.[0] ?? ''))]),
      host,
    );
  }
  // What the oracle saw, in words: node goes gw1 → ops@gw2:2202 (gw1 from gw2's own ProxyJump) → gw3 → node.
  const node = resolveJumpChain(config, resolveSshConfig(config, 'node', context), context);
  t.deepEqual(node.map((h) => `${h.config.user ?? 'root'}@${h.config.hostName}:${h.config.port ?? 22}`), ['root@192.0.2.1:22', 'ops@192.0.2.2:2202', 'three@192.0.2.3:22']);
  t.deepEqual(node[1]!.config.identityFiles, [join(files.home, '.ssh/id_ops_2202'), join(files.home, '.ssh/id_all')], '%r and %p are the hop\'s -l and -p');
  t.is(resolveSshConfig(config, 'direct', context).proxyJump, undefined, 'ProxyJump none in an earlier block wins over Host *');
  t.like(resolveSshConfig(config, 'v6', context).proxyJump, [{ host: 'gw0.example', user: 'a@b', port: 2022 }, { host: '2001:db8::7', user: 'c@d', port: 2201 }]);
});

test('ProxyJump hops ssh cannot read are refused by name, as ssh refuses them; a loop of jump hosts is refused', (t) => {
  for (const bad of ['@gw', 'gw:0', 'gw/22', '[::1', '[::1]x', 'a,,b', 'gw:70000', 'ssh://[2001:db8::1]:22', 'ssh://gw:22/path', 'ssh://-gw', 'ssh://@gw']) {
    const files = tree(t, { '~/.ssh/config': `Host a\n  ProxyJump ${bad}\n` });
    t.throws(() => sshG(files, 'a'), undefined, `ssh refuses ${bad}`);
    t.throws(() => ours(files, 'a'), { instanceOf: UsageError, message: /config line 2: (cannot read the jump host|ProxyJump port)/ }, bad);
  }
  // ssh looks a service name up (a2port); sriov-lxc asks for the number, naming the line.
  t.throws(() => ours(tree(t, { '~/.ssh/config': 'Host a\n  ProxyJump gw:ssh\n' }), 'a'), { instanceOf: UsageError, message: /config line 2: ProxyJump port "ssh" is not a port number/ });
  const loop = tree(t, { '~/.ssh/config': 'Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n' });
  const config = loadSshConfig({ home: loop.home, systemDir: loop.etc });
  const context = { home: loop.home, localUser: 'root' };
  t.throws(() => resolveJumpChain(config, resolveSshConfig(config, 'a', context), context), { instanceOf: UsageError, message: /more than 8 jump hosts .*a ProxyJump loop/ });
});

// IdentityAgent (ssh.c at V_9_2_P1): ~, every %-token of DEFAULT_CLIENT_PERCENT_EXPAND_ARGS and
// ${VAR} expanded as ssh -G prints them; SSH_AUTH_SOCK, none and $VAR kept for the socket step.
test('IdentityAgent: ~, %d %u %h %p %r %n %l %L %i %C %k and ${VAR} expanded as ssh expands them (ssh -G)', (t) => {
  const files = tree(t, {
    '~/.ssh/config': [
      'Host tokens',
      '    HostName 10.2.0.9',
      '    User deploy',
      '    Port 2200',
      '    IdentityAgent ~/agents/%d-%u-%h-%p-%r-%n-%l-%L-%i-%C-%k-%%-${SRIOV_TEST_AGENT_DIR}.sock',
      'Host env',
      '    IdentityAgent SSH_AUTH_SOCK',
      'Host legacy',
      '    IdentityAgent $SRIOV_TEST_AGENT',
      'Host unset',
      '    IdentityAgent $SRIOV_TEST_UNSET',
      'Host off',
      '    IdentityAgent none',
      '',
    ].join('\n'),
  });
  const env = { ...process.env, SRIOV_TEST_AGENT_DIR: 'dir', SRIOV_TEST_AGENT: '/run/agent.legacy' };
  const r = ours(files, 'tokens', env);
  // ssh reads the files as root's, with /root as the home: ours, the home named back.
  const asRoot = (path: string) => path.split(files.home).join('/root');
  t.is(r.identityAgent?.kind === 'socket' ? asRoot(r.identityAgent.path) : r.identityAgent, sshG(files, 'tokens', [], env).identityagent?.[0]);
  t.is(r.identityAgent?.where, `${files.home}/.ssh/config line 5`);
  t.true(r.identityAgent?.kind === 'socket' && r.identityAgent.path.startsWith(`${files.home}/agents/${files.home}-root-10.2.0.9-2200-deploy-tokens-`));
  t.like(ours(files, 'env', env).identityAgent, { kind: 'environment' });
  t.is(sshG(files, 'env', [], env).identityagent?.[0], 'SSH_AUTH_SOCK');
  t.like(ours(files, 'legacy', env).identityAgent, { kind: 'socket', path: '/run/agent.legacy' });
  t.is(sshG(files, 'legacy', [], env).identityagent?.[0], '$SRIOV_TEST_AGENT', 'ssh reads the variable when it connects');
  t.like(ours(files, 'unset', env).identityAgent, { kind: 'none' }, 'an unset variable: no agent (ssh unsets SSH_AUTH_SOCK)');
  t.like(ours(files, 'off', env).identityAgent, { kind: 'none' });
  const missing = tree(t, { '~/.ssh/config': 'Host a\n  IdentityAgent ${SRIOV_TEST_UNSET}/x\n' });
  t.throws(() => sshG(missing, 'a', [], env), undefined, 'ssh refuses an unset ${VAR}');
  t.throws(() => ours(missing, 'a', env), { instanceOf: UsageError, message: /config line 2: \$\{SRIOV_TEST_UNSET\} has no value in the environment/ });
  const badName = tree(t, { '~/.ssh/config': 'Host a\n  IdentityAgent $1bad\n' });
  t.throws(() => ours(badName, 'a', env), { instanceOf: UsageError, message: /config line 2: IdentityAgent \$1bad: "1bad" is not an environment variable name/ });
});

test('ProxyCommand and ProxyJump: whichever is read first wins and the other is ignored (ssh -G)', (t) => {
  const files = tree(t, {
    '~/.ssh/config': [
      'Host direct',
      '    ProxyCommand none',
      'Host jumped',
      '    ProxyJump gw',
      'Host gw',
      '    ProxyJump none',
      'Host *',
      '    ProxyJump default-bastion',
      '    ProxyCommand nc %h %p',
      '',
    ].join('\n'),
  });
  t.is(sshG(files, 'direct').proxyjump, undefined);
  t.is(ours(files, 'direct').proxyJump, undefined, 'ProxyCommand none first: the ProxyJump of Host * is ignored');
  t.deepEqual(sshG(files, 'jumped').proxyjump, ['gw']);
  t.like(ours(files, 'jumped').proxyJump, [{ host: 'gw' }], 'ProxyJump first: the ProxyCommand of Host * is ignored, not refused');
  t.deepEqual(sshG(files, 'gw').proxycommand, ['nc %h %p'], 'after ProxyJump none, ssh takes a later ProxyCommand');
  t.throws(() => ours(files, 'gw'), { instanceOf: UsageError, message: /config line 9: ProxyCommand nc %h %p is not supported/ }, 'which sriov-lxc refuses');
  const config = loadSshConfig({ home: files.home, systemDir: files.etc });
  const context = { home: files.home, localUser: 'root' };
  t.deepEqual(sshG(files, 'gw', ['-J', 'j0']).proxycommand, undefined);
  t.notThrows(() => resolveSshConfig(config, 'gw', context, { proxyJump: [{ host: 'j0', where: 'x' }] }), '-J: the hop\'s ProxyCommand is ignored');
});

// match.c at V_9_2_P1: Host lines use match_pattern (case as written, against the name as typed),
// Match host/originalhost match_hostname (both lower-cased), Match user/localuser
// match_pattern_list(…, 0) (case as written); ssh.c lower-cases the host it connects to and reads
// the final pass for, an address excepted. ssh -G on the same files decides each name.
const CASES = [
  'Host foo',
  '    Port 1111',
  'Host BAZ',
  '    Port 4444',
  'Match host bar',
  '    Port 2222',
  'Match originalhost QUX',
  '    Port 5555',
  'Host as-alice',
  '    User Alice',
  'Host as-lower',
  '    User alice',
  'Match user Alice',
  '    Port 3333',
  'Host Upper',
  '    HostName UPPER.Example',
  'Host v6',
  '    HostName 2001:DB8::1',
  'Host upper.example',
  '    User final-lower',
  'Host 2001:DB8::1',
  '    User final-v6',
  '',
].join('\n');

test('case in names and patterns: Host lines as written, Match host/originalhost lower-cased, Match user as written, the final pass on the lower-cased name (ssh -G)', (t) => {
  const first = tree(t, { '~/.ssh/config': CASES });
  const final = tree(t, { '~/.ssh/config': `${CASES}Match final\n    IdentityFile ~/.ssh/id_final\n` });
  const names = ['FOO', 'foo', 'BAZ', 'baz', 'BAR', 'bar', 'qux', 'QUX', 'as-alice', 'as-lower', 'Upper', 'v6'];
  for (const files of [first, final]) {
    for (const host of names) {
      const g = sshG(files, host);
      t.deepEqual(asSshG(files, host, ours(files, host)), [g.hostname?.[0], g.user?.[0], g.port?.[0], ...(g.identityfile ?? [])], host);
    }
  }
  // What the oracle said, in words.
  t.like(ours(first, 'FOO'), { hostName: 'foo', port: undefined }, 'Host foo does not apply to FOO, whose connection goes to foo');
  t.is(ours(first, 'baz').port, undefined, 'Host BAZ does not apply to baz');
  t.is(ours(first, 'BAR').port, 2222, 'Match host bar applies to BAR');
  t.is(ours(first, 'qux').port, 5555, 'Match originalhost QUX applies to qux');
  t.is(ours(first, 'as-lower').port, undefined, 'Match user Alice does not apply to alice');
  t.is(ours(first, 'as-alice').port, 3333);
  t.like(ours(first, 'Upper'), { hostName: 'upper.example', user: undefined });
  t.is(ours(final, 'FOO').port, 1111, 'the final pass reads Host lines for foo');
  t.like(ours(final, 'Upper'), { hostName: 'upper.example', user: 'final-lower' });
  t.like(ours(final, 'v6'), { hostName: '2001:DB8::1', user: 'final-v6' }, 'an address is not lower-cased');
});

test('arguments split as argv_split splits them: \'…\' and "…" also inside a word, \\\' \\" \\\\ and "\\ " escapes, # only at a word\'s start, trailing blanks and form feeds (ssh -G)', (t) => {
  const files = tree(t, {
    '~/.ssh/config': [
      'Host a',
      "  IdentityFile '~/.ssh/my key'",
      '  IdentityFile ~/.ssh/a"b c"d',
      '  IdentityFile ~/.ssh/x\\ y',
      '  IdentityFile ~/.ssh/q\\"r',
      "  IdentityFile ~/.ssh/s\\'t",
      '  IdentityFile ~/.ssh/back\\\\slash',
      '  IdentityFile ~/.ssh/un\\known',
      '  IdentityFile "~/.ssh/in quote\\ x"',
      '  IdentityFile ~/.ssh/h#x',
      '  IdentityFile ~/.ssh/tail\t ',
      '  IdentityFile ~/.ssh/end\\',
      '  IdentityFile="~/.ssh/eq\'x\'"',
      '  IdentityFile ~/.ssh/ff\f',
      '  User u #comment',
      '',
    ].join('\n'),
  });
  const g = sshG(files, 'a');
  t.deepEqual(asSshG(files, 'a', ours(files, 'a')), [g.hostname?.[0], g.user?.[0], g.port?.[0], ...(g.identityfile ?? [])]);
  // What the oracle said, in words.
  t.deepEqual(ours(files, 'a').identityFiles.map((f) => f.slice(files.home.length + 1)), [
    '.ssh/my key', '.ssh/ab cd', '.ssh/x y', '.ssh/q"r', ".ssh/s't", '.ssh/back\\slash', '.ssh/un\\known', '.ssh/in quote\\ x', '.ssh/h#x', '.ssh/tail', '.ssh/end\\', ".ssh/eq'x'", '.ssh/ff',
  ]);
  t.is(ours(files, 'a').user, 'u');
  for (const open of ["User 'u", 'User u"v', "User a\\\\'b"]) {
    const bad = tree(t, { '~/.ssh/config': `Host a\n  ${open}\n` });
    t.throws(() => sshG(bad, 'a'), undefined, `ssh refuses ${open}`);
    t.throws(() => ours(bad, 'a'), { instanceOf: UsageError, message: /config line 2: unterminated quote$/ }, open);
  }
});

test('Match as match_cfg_line evaluates it: all after at most one attribute, every Match line evaluated (a final in an Include that cannot apply still asks for the final pass), an unknown attribute refused matching or not (ssh -G)', (t) => {
  const accepted = ['all', '!all', 'host a all', 'final all', 'canonical all', 'host b all', 'user root all', 'host a !all', 'all # comment', 'host a all # comment'];
  for (const criteria of accepted) {
    const files = tree(t, { '~/.ssh/config': `Match ${criteria}\n  User matched\n` });
    t.is(sshG(files, 'a').user?.[0], ours(files, 'a').user ?? 'root', criteria);
  }
  t.is(ours(tree(t, { '~/.ssh/config': 'Match host a all\n  User matched\n' }), 'a').user, 'matched', 'one attribute before all');
  for (const criteria of ['all host a', 'host a final all', 'host b bogus x', 'bogus x']) {
    const files = tree(t, { '~/.ssh/config': `Match ${criteria}\n  User matched\n` });
    t.throws(() => sshG(files, 'a'), undefined, `ssh refuses Match ${criteria}`);
    t.throws(() => ours(files, 'a'), { instanceOf: UsageError, message: /config line 1: (.* cannot be combined with other Match attributes|Match bogus cannot be evaluated)/ }, criteria);
  }
  const inactive = tree(t, { '~/.ssh/config': 'Host other\n  Include inner.conf\nHost foo\n  Port 1111\n', '~/.ssh/inner.conf': 'Match final\n  User never\n' });
  const g = sshG(inactive, 'FOO');
  t.deepEqual(asSshG(inactive, 'FOO', ours(inactive, 'FOO')), [g.hostname?.[0], g.user?.[0], g.port?.[0], ...(g.identityfile ?? [])]);
  t.like(ours(inactive, 'FOO'), { hostName: 'foo', port: 1111, user: undefined }, 'the final pass reads Host foo for foo; the Include still cannot apply');
  const bogus = tree(t, { '~/.ssh/config': 'Host other\n  Include inner.conf\n', '~/.ssh/inner.conf': 'Match bogus x\n  User x\n' });
  t.throws(() => sshG(bogus, 'a'));
  t.throws(() => ours(bogus, 'a'), { instanceOf: UsageError, message: /inner\.conf line 1: Match bogus cannot be evaluated/ });
  const exec = tree(t, { '~/.ssh/config': 'Host other\n  Include inner.conf\n', '~/.ssh/inner.conf': 'Match exec "exit 0"\n  User x\n' });
  t.is(sshG(exec, 'a').user?.[0], 'root');
  t.notThrows(() => ours(exec, 'a'), 'an exec in an Include that cannot apply decides nothing');
});

test('ConnectTimeout and ServerAliveInterval read as convtime reads them (units, none leaving the value to a later line), ServerAliveCountMax as atoi_err (ssh -G)', (t) => {
  const times = ['0', '5', '1m', '1m30s', '"1m 30s"', '2H', '1w2d', '07', '+3', ' 3s', '-0', '2147483647', 'none\n  ConnectTimeout 7\n  ServerAliveInterval 8'];
  for (const v of times) {
    const files = tree(t, { '~/.ssh/config': `Host a\n  ConnectTimeout ${v}\n  ServerAliveInterval ${v}\n` });
    const g = sshG(files, 'a');
    const r = ours(files, 'a');
    // ConnectTimeout 0 is no timeout for ssh (a blocking connect): sriov-lxc keeps its own, as without the line.
    t.deepEqual([String(r.connectTimeoutSeconds ?? (g.connecttimeout?.[0] === '0' ? '0' : 'none')), String(r.serverAliveIntervalSeconds ?? 0)], [g.connecttimeout?.[0], g.serveraliveinterval?.[0]], v);
  }
  t.like(ours(tree(t, { '~/.ssh/config': 'Host a\n  ConnectTimeout 1m30s\n' }), 'a'), { connectTimeoutSeconds: 90 });
  t.false('connectTimeoutSeconds' in ours(tree(t, { '~/.ssh/config': 'Host a\n  ConnectTimeout 0\n' }), 'a'), 'ConnectTimeout 0: sriov-lxc\'s own timeout');
  t.like(ours(tree(t, { '~/.ssh/config': 'Host a\n  ConnectTimeout none\nHost *\n  ConnectTimeout 7\n' }), 'a'), { connectTimeoutSeconds: 7 });
  for (const v of ['10x', '-1', '"1 2"', '5 s', '2147483648', '1m-1', 'm', '""']) {
    const files = tree(t, { '~/.ssh/config': `Host a\n  ConnectTimeout ${v}\n` });
    t.throws(() => sshG(files, 'a'), undefined, `ssh refuses ConnectTimeout ${v}`);
    t.throws(() => ours(files, 'a'), { instanceOf: UsageError, message: /config line 2: (ConnectTimeout .* is not a time as ssh reads it|connecttimeout takes exactly one value)/ }, v);
  }
  for (const v of ['0', '3', '07', '+2', ' 4', '2147483647']) {
    const files = tree(t, { '~/.ssh/config': `Host a\n  ServerAliveCountMax "${v}"\n` });
    t.is(sshG(files, 'a').serveralivecountmax?.[0], String(ours(files, 'a').serverAliveCountMax), v);
  }
  for (const v of ['-1', '3x', '2147483648', '""', 'none']) {
    const files = tree(t, { '~/.ssh/config': `Host a\n  ServerAliveCountMax ${v}\n` });
    t.throws(() => sshG(files, 'a'), undefined, `ssh refuses ServerAliveCountMax ${v}`);
    t.throws(() => ours(files, 'a'), { instanceOf: UsageError, message: /config line 2: ServerAliveCountMax .* is not a whole number from 0 to 2147483647/ }, v);
  }
});

test('options sriov-lxc does not implement pass at their harmless values (ssh\'s defaults, none in any case) and are refused at any other', (t) => {
  const harmless: [string, string[], string][] = [
    ['ProxyCommand', ['none', 'NONE'], 'nc %h %p'],
    ['ProxyUseFdpass', ['no'], 'yes'],
    ['KnownHostsCommand', ['none', 'None'], '/bin/true'],
    ['VerifyHostKeyDNS', ['no'], 'ask'],
    ['CanonicalizeHostname', ['no'], 'always'],
    ['CanonicalizePermittedCNAMEs', ['none'], '*.a:*.b'],
    ['RemoteCommand', ['none'], 'uptime'],
    ['CertificateFile', ['none'], '~/.ssh/c.pub'],
    ['PubkeyAuthentication', ['yes', 'unbound', 'host-bound'], 'no'],
    ['RevokedHostKeys', ['none'], '/etc/ssh/revoked'],
    ['RequiredRSASize', ['1024'], '2048'],
    ['PKCS11Provider', ['none'], '/usr/lib/p11.so'],
    ['SecurityKeyProvider', ['internal'], '/usr/lib/sk.so'],
  ];
  for (const [option, values, other] of harmless) {
    for (const value of values) {
      const files = tree(t, { '~/.ssh/config': `Host a\n  ${option} ${value}\n` });
      t.notThrows(() => sshG(files, 'a'), `ssh accepts ${option} ${value}`);
      t.notThrows(() => ours(files, 'a'), `${option} ${value}`);
    }
    const files = tree(t, { '~/.ssh/config': `Host a\n  ${option} ${other}\n` });
    t.throws(() => ours(files, 'a'), { instanceOf: UsageError, message: new RegExp(`config line 2: ${option} .* is not supported by sriov-lxc`) }, `${option} ${other}`);
  }
  // The defaults as ssh -G prints them with no config (true/false for yes/no).
  const defaults = sshG(tree(t, {}), 'a');
  const asConfig = (v: string | undefined) => (v === 'true' ? 'yes' : v === 'false' ? 'no' : v);
  for (const [option, values] of harmless) {
    const shown = defaults[option.toLowerCase()]?.[0];
    if (shown !== undefined) t.true(values.includes(asConfig(shown)!), `${option}: ssh's default ${shown} is harmless`);
  }
});

test('lines as readconf.c reads them (Keyword=value, any case, blanks and comments, CRLF), Include globs in sorted order, 16 levels of Include and not 17 (ssh -G)', (t) => {
  const files = tree(t, {
    '~/.ssh/config': ['  # a comment', '\t', 'HOST a', '  PORT=2201', 'Host b', '  port = 2202', 'Host *', '\tInclude order/*.conf', ''].join('\r\n'),
    // Written in reverse order: the glob's order is the names' order, not the directory's.
    '~/.ssh/order/20-b.conf': 'User from-b\nIdentityFile ~/.ssh/id_b\n',
    '~/.ssh/order/10-a.conf': 'User from-a\nIdentityFile ~/.ssh/id_a\n',
  });
  for (const host of ['a', 'b', 'c']) {
    const g = sshG(files, host);
    t.deepEqual(asSshG(files, host, ours(files, host)), [g.hostname?.[0], g.user?.[0], g.port?.[0], ...(g.identityfile ?? [])], host);
  }
  t.like(ours(files, 'a'), { port: 2201, user: 'from-a' });
  const nested = (levels: number): Record<string, string> => {
    const out: Record<string, string> = { '~/.ssh/config': 'Include d1.conf\n' };
    for (let i = 1; i < levels; i++) out[`~/.ssh/d${i}.conf`] = `Include d${i + 1}.conf\n`;
    out[`~/.ssh/d${levels}.conf`] = 'Port 1616\n';
    return out;
  };
  const deep = tree(t, nested(16));
  t.is(sshG(deep, 'a').port?.[0], '1616');
  t.is(ours(deep, 'a').port, 1616);
  const tooDeep = tree(t, nested(17));
  t.throws(() => sshG(tooDeep, 'a'), undefined, 'ssh: too many recursive configuration includes');
  t.throws(() => ours(tooDeep, 'a'), { instanceOf: UsageError, message: /d16\.conf line 1: too many nested Includes/ });
});

test('Match localuser, canonical, criteria in any case, a negated pattern in a list; IdentitiesOnly in any case; bad values refused as ssh refuses them (ssh -G)', (t) => {
  for (const criteria of ['localuser root', 'localuser ROOT', '!localuser nobody', 'canonical', '!canonical', 'user root,!root', 'User root', 'HOST a', 'originalhost a,b', '!host b']) {
    const files = tree(t, { '~/.ssh/config': `Match ${criteria}\n  User matched\n` });
    t.is(sshG(files, 'a').user?.[0], ours(files, 'a').user ?? 'root', criteria);
  }
  for (const value of ['TRUE', 'yes', 'no', 'False']) {
    const files = tree(t, { '~/.ssh/config': `Host a\n  IdentitiesOnly ${value}\n` });
    t.is(sshG(files, 'a').identitiesonly?.[0], ours(files, 'a').identitiesOnly ? 'yes' : 'no', value);
  }
  const maybe = tree(t, { '~/.ssh/config': 'Host a\n  IdentitiesOnly maybe\n' });
  t.throws(() => sshG(maybe, 'a'));
  t.throws(() => ours(maybe, 'a'), { instanceOf: UsageError, message: /config line 2: IdentitiesOnly "maybe" is not yes or no/ });
  const missing = tree(t, { '~/.ssh/config': 'Match host\n  User matched\n' });
  t.throws(() => sshG(missing, 'a'));
  t.throws(() => ours(missing, 'a'), { instanceOf: UsageError, message: /config line 1: Match host needs an argument/ });
});

test('UserKnownHostsFile and GlobalKnownHostsFile: none in any case is no file, and must appear alone (ssh -G)', (t) => {
  const files = tree(t, { '~/.ssh/config': 'Host a\n  GlobalKnownHostsFile NONE\n  UserKnownHostsFile None\n' });
  const g = sshG(files, 'a');
  t.deepEqual([g.userknownhostsfile?.[0], g.globalknownhostsfile?.[0]], ['none', 'none']);
  t.like(ours(files, 'a'), { userKnownHostsFiles: [], globalKnownHostsFiles: [] });
  for (const line of ['UserKnownHostsFile none /x', 'UserKnownHostsFile /x NONE', 'GlobalKnownHostsFile /x none']) {
    const bad = tree(t, { '~/.ssh/config': `Host a\n  ${line}\n` });
    t.throws(() => sshG(bad, 'a'), undefined, `ssh refuses ${line}`);
    t.throws(() => ours(bad, 'a'), { instanceOf: UsageError, message: /config line 2: (user|global)knownhostsfile "none" must appear alone/ }, line);
  }
});

test('StrictHostKeyChecking, AddressFamily and Port read as readconf.c reads them: any case, ssh\'s spellings, a2port\'s decimal numbers; others refused (ssh -G)', (t) => {
  const strictOf: Record<string, string> = { yes: 'true', no: 'false', 'accept-new': 'accept-new', ask: 'ask' };
  for (const v of ['TRUE', 'yes', 'off', 'False', 'no', 'Accept-New', 'ASK']) {
    const files = tree(t, { '~/.ssh/config': `Host a\n  StrictHostKeyChecking ${v}\n` });
    t.is(sshG(files, 'a').stricthostkeychecking?.[0], strictOf[ours(files, 'a').strictHostKeyChecking?.value ?? ''], v);
  }
  for (const v of ['INET6', 'inet', 'any', 'Any']) {
    const files = tree(t, { '~/.ssh/config': `Host a\n  AddressFamily ${v}\n` });
    const family = ours(files, 'a').family;
    t.is(sshG(files, 'a').addressfamily?.[0], family === 4 ? 'inet' : family === 6 ? 'inet6' : 'any', v);
  }
  for (const v of ['65535', '+22', '022', '1']) {
    const files = tree(t, { '~/.ssh/config': `Host a\n  Port ${v}\n` });
    t.is(sshG(files, 'a').port?.[0], String(ours(files, 'a').port), v);
  }
  const refused: [string, RegExp][] = [
    ['StrictHostKeyChecking maybe', /StrictHostKeyChecking "maybe" is not yes, accept-new, ask or no/],
    ['AddressFamily inet4', /AddressFamily "inet4" is not any, inet or inet6/],
    ['Port 0', /Port "0" is not a port number/],
    ['Port 65536', /Port "65536" is not a port number/],
    ['Port 2x', /Port "2x" is not a port number/],
    ['Port 0x16', /Port "0x16" is not a port number/],
    ['Port 1e3', /Port "1e3" is not a port number/],
  ];
  for (const [line, message] of refused) {
    const files = tree(t, { '~/.ssh/config': `Host a\n  ${line}\n` });
    t.throws(() => sshG(files, 'a'), undefined, `ssh refuses ${line}`);
    t.throws(() => ours(files, 'a'), { instanceOf: UsageError, message }, line);
  }
});

// Written against the survivors of the mutation run over lines 1-326 (README's table).
test('Include: ~/ is the home, globs in name order (12 files), a dangling link skipped, an unreadable config refused with the fix; tabs separate arguments, trailing form feeds go (ssh -G)', (t) => {
  const inc: Record<string, string> = { '~/.ssh/config': 'Include ~/inc.conf\nHost a\tb\n  IdentityFile ~/.ssh/ff2\f\f\n  IdentityFile ~/.ssh/x{y}$z\nHost *\n  Include many/*.conf\n', '~/inc.conf': 'Host a\n  Port 2345\n' };
  for (const n of ['07', '12', '01', '10', '03', '11', '05', '02', '09', '04', '08', '06']) inc[`~/.ssh/many/${n}.conf`] = `IdentityFile ~/.ssh/id_${n}\n`;
  const files = tree(t, inc);
  symlinkSync(join(files.home, 'nowhere.conf'), join(files.home, '.ssh/many/00.conf'));
  for (const host of ['a', 'b']) {
    const g = sshG(files, host);
    t.deepEqual(asSshG(files, host, ours(files, host)), [g.hostname?.[0], g.user?.[0], g.port?.[0], ...(g.identityfile ?? [])], host);
  }
  t.is(ours(files, 'a').port, 2345);
  t.is(ours(files, 'b').identityFiles.length, 14);
  const bad = tree(t, { '/etc/ssh/ssh_config': 'Include ~/.ssh/x.conf\n' });
  const error = t.throws(() => ours(bad, 'a'), { instanceOf: UsageError });
  t.regex(error!.hint ?? '', /write an absolute path/);
  const dir = tree(t, {});
  mkdirSync(join(dir.home, '.ssh/config'));
  const unreadable = t.throws(() => ours(dir, 'a'), { instanceOf: UsageError, message: /cannot read the ssh configuration .*\.ssh\/config: EISDIR/ });
  t.regex(unreadable!.hint ?? '', /make it readable, or remove it/);
});

test('HostName expands %h only (no ${VAR}); a $ or { alone in a path is itself', (t) => {
  const files = tree(t, { '~/.ssh/config': 'Host a\n  HostName h${X}.example\n  IdentityFile ~/.ssh/p$q{r}s\n' });
  const g = sshG(files, 'a', [], { ...process.env, X: 'no' });
  t.deepEqual(asSshG(files, 'a', ours(files, 'a', { ...process.env, X: 'no' })), [g.hostname?.[0], g.user?.[0], g.port?.[0], ...(g.identityfile ?? [])]);
  t.is(ours(files, 'a', { X: 'no' }).hostName, 'h${x}.example');
});

// Prepared against the mutants a read of lines 338-641 and 729-734 expected to survive (before
// the Stryker run over them); each value is what ssh -G says on the same file.
test('Match canonical asks for no final pass and Match !final does; IdentityFile2 is IdentityFile; a file named twice is tried once; GlobalKnownHostsFile is not expanded, UserKnownHostsFile is (ssh -G)', (t) => {
  const passes = [
    // No final pass: Host other is read for a only (HostName is other, Port stays 22).
    'Match canonical\n  HostName target\nMatch !canonical\n  HostName other\nHost target\n  Port 2222\nHost other\n  Port 3333\n',
    // A final pass (ssh 9.2 asks for it for a negated final too): Host target read for target.
    'Match !final\n  HostName target\nHost target\n  Port 2222\n',
    // The final pass matches host against the name settled before it (match_cfg_line: options->hostname), not a HostName read in it.
    'Match final\n  HostName target\nMatch final host target\n  Port 2222\n',
  ];
  for (const config of passes) {
    const files = tree(t, { '~/.ssh/config': config });
    const g = sshG(files, 'a');
    t.deepEqual(asSshG(files, 'a', ours(files, 'a')), [g.hostname?.[0], g.user?.[0], g.port?.[0], ...(g.identityfile ?? [])], config);
  }
  t.like(ours(tree(t, { '~/.ssh/config': passes[0]! }), 'a'), { hostName: 'other', port: undefined });
  t.like(ours(tree(t, { '~/.ssh/config': passes[1]! }), 'a'), { hostName: 'target', port: 2222 });
  t.like(ours(tree(t, { '~/.ssh/config': passes[2]! }), 'a'), { hostName: undefined, port: undefined });
  const files = tree(t, { '~/.ssh/config': 'Host a\n  IdentityFile2 ~/.ssh/k2\n  IdentityFile ~/.ssh/k\n  GlobalKnownHostsFile ~/g %h\n  UserKnownHostsFile ~/u %h\nHost *\n  IdentityFile ~/.ssh/k\n  IdentityFile ~/.ssh/k3\n' });
  const g = sshG(files, 'a');
  const r = ours(files, 'a');
  t.deepEqual(asSshG(files, 'a', r), [g.hostname?.[0], g.user?.[0], g.port?.[0], ...(g.identityfile ?? [])]);
  t.deepEqual(r.identityFiles.map((f) => f.slice(files.home.length)), ['/.ssh/k2', '/.ssh/k', '/.ssh/k3']);
  t.is(r.globalKnownHostsFiles?.join(' '), g.globalknownhostsfile?.[0]);
  t.is(r.userKnownHostsFiles?.join(' ').split(files.home).join('/root'), g.userknownhostsfile?.[0]);
  t.deepEqual(r.userKnownHostsFiles, [`${files.home}/u`, 'a']);
});

test('ProxyJump NONE is none in any case: a later ProxyCommand applies; an algorithm list may end in a comma (ssh -G)', (t) => {
  const none = tree(t, { '~/.ssh/config': 'Host a\n  ProxyJump NONE\nHost b\n  ProxyJump NONE\n  ProxyCommand nc %h %p\n' });
  t.is(sshG(none, 'a').proxyjump, undefined);
  t.is(ours(none, 'a').proxyJump, undefined);
  t.deepEqual(sshG(none, 'b').proxycommand, ['nc %h %p']);
  t.throws(() => ours(none, 'b'), { instanceOf: UsageError, message: /config line 5: ProxyCommand nc %h %p is not supported/ });
  // Written against the Stryker run's survivors: only a ProxyJump is ignored after a ProxyCommand.
  const after = tree(t, { '~/.ssh/config': 'Host a\n  ProxyCommand none\n  User u\n' });
  t.is(sshG(after, 'a').user?.[0], 'u');
  t.is(ours(after, 'a').user, 'u');
  const comma = tree(t, { '~/.ssh/config': 'Host a\n  Ciphers aes128-ctr,\n' });
  t.is(sshG(comma, 'a').ciphers?.[0], 'aes128-ctr');
  t.deepEqual(ours(comma, 'a').algorithms, { cipher: ['aes128-ctr'] });
});

test('a value missing or followed by another, refused where ssh refuses it (HostName, IdentityFile, algorithm lists, ConnectTimeout none x); ServerAliveCountMax as strtonum reads it (ssh -G)', (t) => {
  const lines: [string, RegExp][] = [
    ['HostName', /config line 2: cannot read "HostName"/],
    ['HostName ', /config line 2: hostname takes exactly one value/],
    ['HostName x y', /config line 2: hostname takes exactly one value/],
    ['IdentityFile', /config line 2: cannot read "IdentityFile"/],
    ['IdentityFile ', /config line 2: identityfile takes exactly one value/],
    ['IdentityFile ~/.ssh/x ~/.ssh/y', /config line 2: identityfile takes exactly one value/],
    ['Ciphers', /config line 2: cannot read "Ciphers"/],
    ['Ciphers ', /config line 2: ciphers takes exactly one value/],
    ['Ciphers aes128-ctr, aes256-ctr', /config line 2: ciphers takes exactly one value/],
    ['ProxyJump \n  ProxyCommand nc %h %p', /config line 2: proxyjump takes exactly one value/],
    ['IdentitiesOnly yes no', /config line 2: identitiesonly takes exactly one value/],
    ['Bogus x', /config line 2: bogus is not an ssh_config option sriov-lxc knows/],
    ['ConnectTimeout xy5s', /config line 2: ConnectTimeout "xy5s" is not a time as ssh reads it/],
    ['ConnectTimeout none x', /config line 2: connecttimeout takes exactly one value/],
    ['ServerAliveCountMax "3 "', /config line 2: ServerAliveCountMax "3 " is not a whole number/],
    ['ServerAliveCountMax 0x10', /config line 2: ServerAliveCountMax "0x10" is not a whole number/],
    ['ServerAliveCountMax 1e3', /config line 2: ServerAliveCountMax "1e3" is not a whole number/],
  ];
  for (const [line, message] of lines) {
    const files = tree(t, { '~/.ssh/config': `Host a\n  ${line}\n` });
    t.throws(() => sshG(files, 'a'), undefined, `ssh refuses ${line}`);
    t.throws(() => ours(files, 'a'), { instanceOf: UsageError, message }, line);
  }
});

test('isHostAlias reads every file and Include: a name on a Host line of an included file or of the system file is an alias', (t) => {
  const files = tree(t, {
    '~/.ssh/config': 'Host gw\n  Include inner.conf\nMatch host only-match\n  Port 4\n',
    '~/.ssh/inner.conf': 'Host in-include\n  Port 2\n',
    '/etc/ssh/ssh_config': 'Host in-system\n  Port 3\n',
  });
  const config = loadSshConfig({ home: files.home, systemDir: files.etc });
  for (const name of ['gw', 'in-include', 'in-system']) t.true(isHostAlias(config, name), name);
  t.false(isHostAlias(config, 'elsewhere'));
  t.false(isHostAlias(config, 'only-match'), 'a name on a Match line is no Host alias');
});
