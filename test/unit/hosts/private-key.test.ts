// Issue 17 (10): which key files need a passphrase, judged on keys ssh-keygen writes.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyProtection, type KeyProtection } from '../../../hosts/private-key.ts';

function key(t: { teardown: (f: () => void) => void }, args: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'sriov-key-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('ssh-keygen', ['-q', ...args, '-C', 'test', '-f', join(dir, 'k')]);
  return readFileSync(join(dir, 'k'), 'utf8');
}

const cases: [string, string[], KeyProtection][] = [
  ['ed25519, OpenSSH format, no passphrase', ['-t', 'ed25519', '-N', ''], 'plain'],
  ['ed25519, OpenSSH format, passphrase', ['-t', 'ed25519', '-N', 'passphrase'], 'encrypted'],
  ['RSA, PEM, no passphrase', ['-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', ''], 'plain'],
  ['RSA, PEM, passphrase (Proc-Type: 4,ENCRYPTED)', ['-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', 'passphrase'], 'encrypted'],
  ['ECDSA, PKCS#8, passphrase', ['-t', 'ecdsa', '-m', 'PKCS8', '-N', 'passphrase'], 'encrypted'],
];
for (const [title, args, expected] of cases) {
  test(`key protection: ${title}`, (t) => {
    t.is(keyProtection(key(t, args)), expected);
  });
}

test('key protection: not a key', (t) => {
  t.is(keyProtection('hello'), 'unknown');
  t.is(keyProtection('-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n'), 'unknown');
});
