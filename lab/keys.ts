// SSH material of a lab: one client key pair (the inventory's `key`), a host key per node, and the
// known_hosts file that pins them (the inventory's `knownHosts`).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { sh } from './run.ts';

export async function ensureKeyPair(path: string, comment: string): Promise<void> {
  if (existsSync(path)) return;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  await sh`ssh-keygen -q -t ed25519 -N ${''} -C ${comment} -f ${path}`;
}

export function publicKey(privateKeyPath: string): string {
  return readFileSync(`${privateKeyPath}.pub`, 'utf8').trim();
}

/** known_hosts lines: `ADDRESS ssh-ed25519 AAAA...` per node. */
export function writeKnownHosts(path: string, hosts: readonly { address: string; hostKey: string }[]): void {
  const lines = hosts.map((h) => {
    const [type, key] = publicKey(h.hostKey).split(' ');
    return `${h.address} ${type} ${key}`;
  });
  writeFileSync(path, `${lines.join('\n')}\n`, { mode: 0o600 });
}
