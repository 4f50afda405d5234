// lxc.start.auto = 1 only marks a container: lxc.service (lxc-autostart) starts the marked ones at
// boot, and it is not enabled everywhere (CentOS 7's EPEL package leaves it disabled).
import type { Host } from '../../hosts/host.ts';

export const LXC_SERVICE = 'lxc.service';

export type AutostartService = 'enabled' | 'disabled' | 'missing';

export async function autostartService(host: Host): Promise<AutostartService> {
  const result = await host.exec(['systemctl', 'is-enabled', LXC_SERVICE]);
  const state = result.stdout.trim();
  if (state === 'enabled') return 'enabled';
  // "disabled" when the unit is there; an error for a unit that does not exist (or no systemctl).
  return state === 'disabled' ? 'disabled' : 'missing';
}
