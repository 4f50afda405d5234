// A node's power state, written by the supervisor (DIR/nodes/NAME/power.json), read by the API.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { ProcessRecord } from './processes.ts';

export type PowerPhase = 'booting' | 'up' | 'rebooting' | 'hung' | 'panicked' | 'off';

export interface PowerState {
  phase: PowerPhase;
  /** Boots since `up` (the first boot is 1). */
  boots: number;
  bootId?: string;
  cmdline?: string;
  /** The GRUB entry the firmware picked for this boot. */
  entry?: string;
  /** The cmdline of the last boot that came up (bad-cmdline falls back to it). */
  lastGoodCmdline?: string;
  /** The `unshare` process that holds the node's namespaces (killing it powers the node off). */
  holder?: ProcessRecord;
  /** PID 1 of the node, as seen from the root namespace. */
  init?: ProcessRecord;
  /** When sshd of this boot accepted connections (ms since the epoch). */
  sshdReadyAt?: number;
  history: { at: string; event: string }[];
}

export function readPower(path: string): PowerState | undefined {
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as PowerState;
}

export function writePower(path: string, power: PowerState): void {
  writeFileSync(`${path}.tmp`, `${JSON.stringify(power, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}
