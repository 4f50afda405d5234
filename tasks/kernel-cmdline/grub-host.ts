// GRUB 2 on the node: reading its configuration, writing /etc/default/grub (with a backup of the
// original), regenerating grub.cfg, and telling which entry the next boot starts. Writing the
// configuration and choosing the boot entry are separate steps so a one-shot trial boot
// (grub-reboot into the new entry, made the default only after it booted) can slot in between.
import type { Host } from '../../hosts/host.ts';
import { CommandError, FatalError } from '../../workflows/engine/errors.ts';
import { grubVar } from '../parse/grub-default.ts';
import { grubCommands, type GrubCommands } from '../parse/os-release.ts';
import { parseGrubEnv } from '../parse/grub-cfg.ts';
import { osReleaseOf, type NodeDistro } from '../bios-verify/distro.ts';
import { nextBootEntry, type BootEntry } from './boot-entry.ts';
import { GRUB_DEFAULTS, GRUB_DEFAULTS_BACKUP } from './grub-defaults.ts';

const MKCONFIG_TIMEOUT_MS = 5 * 60_000;

export async function grubCommandsOf(host: Host, distro: NodeDistro): Promise<GrubCommands> {
  const efi = (await host.exec(['test', '-d', '/sys/firmware/efi'])).code === 0;
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

export async function regenerateGrubCfg(host: Host, commands: GrubCommands): Promise<void> {
  try {
    await host.run(commands.mkconfig, { timeoutMs: MKCONFIG_TIMEOUT_MS });
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    throw new CommandError(`${commands.mkconfig.join(' ')} failed on ${host.name} (exit ${error.code})`, {
      command: error.command,
      code: error.code,
      stderrTail: error.stderrTail,
      hint: `fix the error it printed; ${GRUB_DEFAULTS} is already edited (the original is in ${GRUB_DEFAULTS_BACKUP}), run again to regenerate`,
    });
  }
}

/** The entry the next boot starts, from the generated grub.cfg; undefined when there is no grub.cfg. */
export async function readNextBootEntry(host: Host, commands: GrubCommands, defaults: string): Promise<BootEntry | undefined> {
  const cfg = await host.readFile(commands.grubCfgPath);
  if (cfg === undefined) return undefined;
  const env = parseGrubEnv((await host.readFile(commands.grubenvPath)) ?? '');
  return nextBootEntry(cfg, commands.grubCfgPath, grubVar(defaults, 'GRUB_DEFAULT'), env);
}
