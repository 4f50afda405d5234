// GRUB 2 on the node: reading its configuration, writing /etc/default/grub (with a backup of the
// original), regenerating grub.cfg, the trial entry's script, the one-shot next_entry, and what
// grub-probe says about the disk under grubenv. Each is a separate step: the stages order them.
import type { Host } from '../../hosts/host.ts';
import { observe } from '../../hosts/observing-host.ts';
import { runSequence } from '../../hosts/sequence.ts';
import { CommandError, FatalError } from '../../core/errors.ts';
import { grubCommands, type GrubCommands } from '../parse/os-release.ts';
import { osReleaseOf, type NodeDistro } from '../facts/distro.ts';
import { GRUB_DEFAULTS, GRUB_DEFAULTS_BACKUP } from './grub-defaults.ts';
import { parseProbeWords, type GrubenvDevice } from './grubenv-check.ts';
import { TRIAL_ENTRY_ID } from './trial-entry.ts';

const MKCONFIG_TIMEOUT_MS = 5 * 60_000;

/** Whether the node booted through EFI. */
export const EFI_ARGV: readonly string[] = ['test', '-d', '/sys/firmware/efi'];

export async function grubCommandsOf(host: Host, distro: NodeDistro): Promise<GrubCommands> {
  const efi = (await host.exec(EFI_ARGV)).code === 0;
  return grubCommands(osReleaseOf(distro), { efi });
}

export async function readGrubDefaults(host: Host): Promise<string> {
  const text = await host.readFile(GRUB_DEFAULTS);
  if (text === undefined) {
    throw new FatalError(`${host.name} has no ${GRUB_DEFAULTS}`, {
      hint: 'sriov-lxc sets the kernel params through GRUB 2; install grub2 (RHEL: grub2-tools, Debian: grub2-common) or add the params to your boot loader by hand',
    });
  }
  return text;
}

/** Writes the edited /etc/default/grub; the first change keeps the original as the backup. */
export async function writeGrubDefaults(host: Host, original: string, edited: string): Promise<void> {
  if ((await host.readFile(GRUB_DEFAULTS_BACKUP)) === undefined) await host.writeFile(GRUB_DEFAULTS_BACKUP, original, { mode: 0o644 });
  await host.writeFile(GRUB_DEFAULTS, edited, { mode: 0o644 });
}

/** Runs grub-mkconfig; `changed` says what is already written, for the hint when it fails. */
export async function regenerateGrubCfg(host: Host, commands: GrubCommands, changed = `${GRUB_DEFAULTS} is already edited (the original is in ${GRUB_DEFAULTS_BACKUP})`): Promise<void> {
  try {
    await host.run(commands.mkconfig, { timeoutMs: MKCONFIG_TIMEOUT_MS });
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    throw new CommandError(`${commands.mkconfig.join(' ')} failed on ${host.name} (exit ${error.code})`, {
      command: error.command,
      code: error.code,
      stderrTail: error.stderrTail,
      hint: `fix the error it printed; ${changed}: run again to regenerate`,
    });
  }
}

// RHEL names it grub2-probe, Debian grub-probe: the first one the node has.
const FIND_GRUB_PROBE = ['sh', '-c', 'for p in grub2-probe grub-probe; do command -v "$p" && exit 0; done; exit 1'];

/** `grub-probe --target=fs` and `--target=abstraction` of the directory that holds grubenv. */
export async function probeGrubenvDevice(host: Host, commands: GrubCommands): Promise<GrubenvDevice> {
  // Batched reads (two round trips, not three): sent as plain commands they also made the host
  // forget what the check had read (grubenv itself went again).
  await observe(host, [{ argv: FIND_GRUB_PROBE }]);
  const found = await host.exec(FIND_GRUB_PROBE);
  const probe = found.stdout.trim().split('\n')[0];
  if (found.code !== 0 || !probe) {
    throw new FatalError(`${host.name} has neither grub2-probe nor grub-probe`, { hint: 'install GRUB 2\'s tools (RHEL: grub2-tools, Debian: grub2-common); grub-mkconfig needs them too' });
  }
  const dir = commands.grubenvPath.slice(0, commands.grubenvPath.lastIndexOf('/')) || '/';
  await observe(host, [{ argv: [probe, '--target=fs', dir] }, { argv: [probe, '--target=abstraction', dir] }]);
  const fs = await host.run([probe, '--target=fs', dir]);
  const abstraction = await host.run([probe, '--target=abstraction', dir]);
  return { fs: fs.stdout.trim(), abstractions: parseProbeWords(abstraction.stdout) };
}

/** grubenv written and read back by grub-editenv (created first when missing). */
export async function testGrubenvWrite(host: Host, commands: GrubCommands): Promise<void> {
  const env = commands.grubenvPath;
  if ((await host.readFile(env)) === undefined) await host.run([commands.editenv, env, 'create']);
  // One round trip, stopping at the first that fails (as one command after the other would).
  const [, listed] = await runSequence(host, [
    [commands.editenv, env, 'set', 'sriov_lxc_probe=1'],
    [commands.editenv, env, 'list'],
    [commands.editenv, env, 'unset', 'sriov_lxc_probe'],
  ]);
  if (!listed!.stdout.split('\n').includes('sriov_lxc_probe=1')) {
    throw new FatalError(`${host.name}: ${commands.editenv} ${env} set did not change what it lists`, {
      hint: `check ${env} on the node; or set trialBoot: false for this host (or run with --no-trial-boot) to write the params straight into the default entry`,
    });
  }
}

/** The trial entry's file: a /etc/grub.d script (executable) or a BLS entry. */
export async function writeTrialScript(host: Host, path: string, text: string): Promise<void> {
  await host.writeFile(path, text, { mode: path.startsWith('/etc/grub.d/') ? 0o755 : 0o644 });
}

export async function removeTrialScript(host: Host, path: string): Promise<void> {
  await host.run(['rm', '-f', path]);
}

/** The default entry stays the default when an entry is added: saved_entry names it (BLS). */
export async function pinDefaultEntry(host: Host, commands: GrubCommands, id: string): Promise<void> {
  await host.run([commands.setDefault, id]);
}

/** grubby on every BLS entry: `remove` taken off, `set` set. */
export async function updateAllBlsEntries(host: Host, set: readonly string[], remove: readonly string[]): Promise<void> {
  if (set.length === 0 && remove.length === 0) return;
  await host.run(['grubby', '--update-kernel=ALL', ...(remove.length > 0 ? [`--remove-args=${remove.join(' ')}`] : []), ...(set.length > 0 ? [`--args=${set.join(' ')}`] : [])]);
}

/** The next boot (only) starts the trial entry. */
export async function armTrialEntry(host: Host, commands: GrubCommands): Promise<void> {
  await host.run([commands.reboot, TRIAL_ENTRY_ID]);
}

export async function clearNextEntry(host: Host, commands: GrubCommands): Promise<void> {
  await host.run([commands.editenv, commands.grubenvPath, 'unset', 'next_entry']);
}
