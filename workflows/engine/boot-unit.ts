// On-node mode (--local): a oneshot boot unit that resumes the workflow after the reboot and is
// removed when the workflow ends on the node (done or failed).
import type { Host } from '../../hosts/host.ts';

export const RESUME_UNIT = 'sriov-lxc-resume.service';
const UNIT_PATH = `/etc/systemd/system/${RESUME_UNIT}`;

export interface ResumeCommand {
  /** Absolute path of workflows/provision.ts. */
  script: string;
  inventory: string;
  stateDir: string;
  /** The run's own options to keep (--only, --bench-profile, ...): see resumeArgs(). */
  options: readonly string[];
}

// systemd splits ExecStart on white space and honours double quotes; a path with a quote or
// a backslash cannot be written safely, so it is refused.
function systemdWord(word: string): string {
  if (/["\\\n%$]/.test(word)) throw new Error(`cannot put ${JSON.stringify(word)} in a systemd unit: move sriov-lxc or the inventory to a plain path`);
  return /\s/.test(word) ? `"${word}"` : word;
}

export function resumeUnitText(cmd: ResumeCommand, host: string, nodeBinary: string = process.execPath): string {
  const exec = [nodeBinary, cmd.script, '--local', '--host', host, '--inventory', cmd.inventory, '--state-dir', cmd.stateDir, ...cmd.options, '--renderer', 'simple'];
  return [
    '[Unit]',
    'Description=sriov-lxc: resume provisioning after the reboot',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=${exec.map(systemdWord).join(' ')}`,
    `StandardOutput=append:${cmd.stateDir}/resume.log`,
    `StandardError=append:${cmd.stateDir}/resume.log`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

export function bootUnit(cmd: ResumeCommand) {
  return {
    async install(host: Host): Promise<void> {
      await host.writeFile(UNIT_PATH, resumeUnitText(cmd, host.name), { mode: 0o644 });
      await host.run(['systemctl', 'daemon-reload']);
      await host.run(['systemctl', 'enable', RESUME_UNIT]);
    },
    async remove(host: Host): Promise<void> {
      if ((await host.readFile(UNIT_PATH)) === undefined) return;
      await host.run(['systemctl', 'disable', RESUME_UNIT]);
      await host.run(['rm', '-f', '--', UNIT_PATH]);
      await host.run(['systemctl', 'daemon-reload']);
    },
  };
}
