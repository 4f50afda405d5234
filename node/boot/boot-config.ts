// The node's boot configuration as the protocol sees it, read once per check, apply or verify: the
// boot method (boot-method.ts, detected once per run), the file that carries the params and what
// the direction does to it, the boot entries (grub.cfg's menu or the BLS entries), grubenv and the
// trial entry's file. Its own file: the methods use the judgements of grub-state.ts, and this
// reader uses the methods.
import type { Host } from '../../hosts/host.ts';
import type { HostPlan } from '../../inventory/plan.ts';
import { parseGrubEnv } from '../parse/grub-cfg.ts';
import type { NodeDistro } from '../facts/distro.ts';
import { bootMethodOf } from './boot-method.ts';
import { grubCommandsOf } from './grub-host.ts';
import type { BootConfig, CmdlineEdit, Direction } from './method.ts';

/**
 * `recorded`: the edit the first stage of the trio recorded; it stands in once the params file no
 * longer tells it (teardown: the backup it is computed from is gone after the commit).
 */
export async function readBootConfig(host: Host, distro: NodeDistro, plan: HostPlan, direction: Direction, recorded?: CmdlineEdit): Promise<BootConfig> {
  const commands = await grubCommandsOf(host, distro);
  const cfg = await host.readFile(commands.grubCfgPath);
  const method = await bootMethodOf(host, cfg);
  const grubenvText = await host.readFile(commands.grubenvPath);
  const env = parseGrubEnv(grubenvText ?? '');
  const entries = await method.entries(host, commands, cfg, env);
  const params = await method.paramsFile(host, plan, direction, entries, { path: commands.grubenvPath, env });
  if (params.how === 'nothing' && recorded) params.edit = recorded;
  const partial = { method, direction, commands, params, cfg, grubenvText, env, entries, trialScript: await host.readFile(method.trialPath) };
  return { ...partial, entriesShortfall: method.entriesShortfall(partial) };
}

