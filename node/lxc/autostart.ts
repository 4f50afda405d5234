// lxc.start.auto = 1 only marks a container: lxc.service (lxc-autostart) starts the marked ones at
// boot, and it is not enabled everywhere (CentOS 7's EPEL package leaves it disabled).
import type { Host } from '../../hosts/host.ts';

export const LXC_SERVICE = 'lxc.service';

export type AutostartService = 'enabled' | 'disabled' | 'missing';

/** What autostartService reads. */
export const AUTOSTART_READ = { argv: ['systemctl', 'is-enabled', LXC_SERVICE] } as const;

export async function autostartService(host: Host): Promise<AutostartService> {
  const result = await host.exec(AUTOSTART_READ.argv);
  const state = result.stdout.trim();
  if (state === 'enabled') return 'enabled';
  // "disabled" when the unit is there; an error for a unit that does not exist (or no systemctl).
  return state === 'disabled' ? 'disabled' : 'missing';
}

/**
 * Where container-create notes that it enabled lxc.service (written before enabling it), so that
 * teardown disables only what sriov-lxc enabled: Debian's package enables it by itself.
 */
export const LXC_SERVICE_MARK = '/var/lib/sriov-lxc/lxc-service-enabled';

export async function enableLxcService(host: Host): Promise<void> {
  await host.writeFile(LXC_SERVICE_MARK, `${LXC_SERVICE} was disabled; sriov-lxc enabled it to start the containers marked lxc.start.auto = 1 at boot\n`, { mode: 0o644, directoryMode: 0o700 });
  await host.run(['systemctl', 'enable', LXC_SERVICE]);
}
