import test from 'ava';
import { isHostAlias, parseSshConfig, resolveSshConfig } from '../../hosts/ssh-config.ts';
import { matchPatternList } from '../../hosts/ssh-patterns.ts';
import { UsageError } from '../../core/errors.ts';
import { fixture } from '../helpers/fake-host.ts';

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

test('Match blocks are not applied', (t) => {
  t.is(resolveSshConfig(blocks, 'db.internal', context).user, 'nobody');
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
  const badToken = parseSshConfig('Host a\n  IdentityFile ~/.ssh/%C\n', 'cfg');
  t.throws(() => resolveSshConfig(badToken, 'a', context), { instanceOf: UsageError, message: /cfg line 2: the token %C is not supported/ });
  t.throws(() => parseSshConfig('Host a\n  IdentityFile "~/unterminated\n', 'cfg'), { instanceOf: UsageError, message: /cfg line 2: unterminated quote/ });
});
