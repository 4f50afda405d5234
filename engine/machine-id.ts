// Which machine this controller is, for the node's lock: two controllers with the same hostname
// (cloned VMs, `localhost`, CI runners, containers) are different machines. /etc/machine-id
// (systemd, dbus) names the installation; where there is none, a random id kept in the state dir
// names this state dir's machine from its first run on.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../state/atomic-file.ts';

const MACHINE_ID = /^[0-9a-f]{32}$/;

function readId(path: string): string | undefined {
  try {
    const id = readFileSync(path, 'utf8').trim();
    return MACHINE_ID.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** /etc/machine-id, else `<stateDir>/machine-id` (created on first use, 0600). */
export function controllerMachineId(stateDir: string, etcMachineId = '/etc/machine-id'): string {
  const system = readId(etcMachineId);
  if (system !== undefined) return system;
  const kept = join(stateDir, 'machine-id');
  const existing = readId(kept);
  if (existing !== undefined) return existing;
  const id = randomBytes(16).toString('hex');
  writeFileAtomicSync(kept, `${id}\n`, 0o600);
  return id;
}
