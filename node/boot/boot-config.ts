// The node's boot configuration as the protocol sees it, read once per check, apply or verify: the
// boot method (boot-method.ts, detected once per run), the file that carries the params and what
// the direction does to it, the boot entries (grub.cfg's menu or the BLS entries), grubenv and the
// trial entry's file. Its own file: the methods use the judgements of grub-state.ts, and this
// reader uses the methods.
import type { Host } from '../../hosts/host.ts';
import type { HostPlan } from '../../inventory/plan.ts';
import { parseGrubEnv } from '../parse/grub-cfg.ts';
import { bootMethodOf, DETECT_BOOT_METHOD, knownBootMethod } from './boot-method.ts';
import { EFI_ARGV, grubCommandsOf } from './grub-host.ts';
import { observe } from '../../hosts/observing-host.ts';
import { grubCommands } from '../parse/os-release.ts';
import { osReleaseOf, type NodeDistro } from '../facts/distro.ts';
import type { BootConfig, CmdlineEdit, Direction } from './method.ts';

/**
 * `recorded`: the edit the first stage of the trio recorded; it stands in once the params file no
 * longer tells it (teardown: the backup it is computed from is gone after the commit).
 */
export async function readBootConfig(host: Host, distro: NodeDistro, plan: HostPlan, direction: Direction, recorded?: CmdlineEdit): Promise<BootConfig> {
  // The boot's place (EFI or not: both places' files) and the method's signs, then what the method
  // reads: two round trips the first time; one from then on, as the method, once detected, is
  // this run's (it was a round trip of its own in 4 of a first provisioning's 5 reads).
  const known = knownBootMethod(host);
  await observe(host, [
    { argv: EFI_ARGV },
    ...(known ? [...known.reads, { file: known.trialPath }] : [{ argv: DETECT_BOOT_METHOD }]),
    // What the stages compare this configuration with (runningCmdline): read alone after it, it
    // was a round trip of its own in 4 of a first provisioning's 6 reads of the configuration.
    { file: '/proc/cmdline' },
    ...[false, true].flatMap((efi) => {
      const c = grubCommands(osReleaseOf(distro), { efi });
      return [{ file: c.grubCfgPath }, { file: c.grubenvPath }];
    }),
  ]);
  const commands = await grubCommandsOf(host, distro);
  const cfg = await host.readFile(commands.grubCfgPath);
  const method = await bootMethodOf(host, cfg);
  await observe(host, [...method.reads, { file: method.trialPath }]);
  const grubenvText = await host.readFile(commands.grubenvPath);
  const env = parseGrubEnv(grubenvText ?? '');
  const entries = await method.entries(host, commands, cfg, env);
  const params = await method.paramsFile(host, plan, direction, entries, { path: commands.grubenvPath, env });
  if (params.how === 'nothing' && recorded) params.edit = recorded;
  const partial = { method, direction, commands, params, cfg, grubenvText, env, entries, trialScript: await host.readFile(method.trialPath) };
  return { ...partial, entriesShortfall: method.entriesShortfall(partial) };
}

