// On-node mode (--local): a oneshot boot unit that resumes the workflow after the reboot and is
// removed when the workflow ends on the node (done or failed).
import { UsageError } from '../core/errors.ts';
import type { Host } from '../hosts/host.ts';
import { parseSystemdVersion } from '../node/parse/runtime-versions.ts';

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

function refuseControl(text: string): void {
  if (/[\x00-\x1f\x7f]/.test(text)) {
    throw new UsageError(`cannot put ${JSON.stringify(text)} in a systemd unit: it holds a control character (newline, tab)`, { hint: 'move sriov-lxc, the inventory or the state dir to a path without control characters' });
  }
}

/**
 * One argument of ExecStart= as systemd reads it back (systemd.service(5), "Command lines"): a
 * double-quoted word in which `\` and `"` are C-escaped; `%` is doubled because specifiers are
 * expanded inside quotes too (systemd.unit(5), "%%"), and `$` because $NAME is substituted
 * ("To pass a literal dollar sign, use $$"). Any other character, `'`, `;` and space included, is
 * literal inside the quotes.
 */
export function systemdExecWord(word: string): string {
  refuseControl(word);
  return `"${word.replace(/[\\"%$]/g, (c) => (c === '%' ? '%%' : c === '$' ? '$$' : `\\${c}`))}"`;
}

/** A path after `append:` in StandardOutput=: taken whole, with specifiers expanded (`%` doubled). */
function systemdPathValue(path: string): string {
  refuseControl(path);
  return path.replace(/%/g, '%%');
}

/** systemd 240 brought `StandardOutput=append:`; 219 (CentOS 7) and 239 (EL 8) ignore it ("Failed to parse output specifier"). */
const APPEND_SINCE = 240;

export function resumeUnitText(cmd: ResumeCommand, host: string, systemdVersion: number, nodeBinary: string = process.execPath): string {
  const exec = [nodeBinary, cmd.script, '--local', '--host', host, '--inventory', cmd.inventory, '--state-dir', cmd.stateDir, ...cmd.options, '--renderer', 'simple'];
  const log = `${cmd.stateDir}/resume.log`;
  // Before 240, sh appends the output to the log (the state dir is root's, 0700).
  const start = systemdVersion >= APPEND_SINCE ? exec : ['/bin/sh', '-c', 'log=$1; shift; exec "$@" >> "$log" 2>&1', 'sh', log, ...exec];
  return [
    '[Unit]',
    'Description=sriov-lxc: resume provisioning after the reboot',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=${start.map(systemdExecWord).join(' ')}`,
    ...(systemdVersion >= APPEND_SINCE ? [`StandardOutput=append:${systemdPathValue(log)}`, `StandardError=append:${systemdPathValue(log)}`] : []),
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

async function systemdVersionOf(host: Host): Promise<number> {
  return parseSystemdVersion((await host.run(['systemctl', '--version'])).stdout);
}

export function bootUnit(cmd: ResumeCommand) {
  return {
    async install(host: Host): Promise<void> {
      await host.writeFile(UNIT_PATH, resumeUnitText(cmd, host.name, await systemdVersionOf(host)), { mode: 0o644 });
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
