// Issue 24: ssh_config as ssh reads it, with OpenSSH's own `ssh -G` as the oracle on the same
// files: ~/.ssh/config and /etc/ssh (its ssh_config and ssh_config.d) are bind-mounted over the
// real ones in a private mount namespace (`unshare --mount`, needs root), so ssh reads exactly
// the files sriov-lxc reads, including the system file and the Includes.
import test, { type ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../../core/errors.ts';
import { loadSshConfig, resolveSshConfig, type ResolvedSshConfig } from '../../../hosts/ssh-config.ts';

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

/** `ssh -G HOST` with our files in place of root's home and /etc/ssh. */
function sshG(files: Tree, host: string): Record<string, string[]> {
  const script = 'mount --bind "$1" /root && mount --bind "$2" /etc/ssh && exec ssh -G "$3"';
  const out = execFileSync('unshare', ['--mount', 'sh', '-c', script, 'sh', files.home, files.etc, host], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const keys: Record<string, string[]> = {};
  for (const line of out.split('\n')) {
    const [key = '', ...rest] = line.split(' ');
    (keys[key] ??= []).push(rest.join(' '));
  }
  return keys;
}

function ours(files: Tree, host: string): ResolvedSshConfig {
  return resolveSshConfig(loadSshConfig({ home: files.home, systemDir: files.etc }), host, { home: files.home, localUser: 'root' });
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
    ['IdentityAgent /run/other-agent.sock', /IdentityAgent .* is not supported/],
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
