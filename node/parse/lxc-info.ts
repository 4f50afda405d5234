// `lxc-info -n NAME` output: "Key:   value" lines, IP repeated once per address. LXC 1.x asked for
// one field (`-s`) prints its value alone: "RUNNING" (lxc-1.0.11 src/lxc/lxc_info.c,
// print_info_msg_str with filter_count == 1).
import { ParseError, excerpt } from './parse-error.ts';

export interface LxcInfo {
  /** null when lxc-info was asked for selected fields only (-s -p -i). */
  name: string | null;
  /** RUNNING, STOPPED, STARTING, STOPPING, ABORTING, FREEZING, FROZEN, THAWED. */
  state: string;
  pid: number | null;
  ips: string[];
}

const LXC_STATES = ['RUNNING', 'STOPPED', 'STARTING', 'STOPPING', 'ABORTING', 'FREEZING', 'FROZEN', 'THAWED'];

export function parseLxcInfo(text: string): LxcInfo {
  let name: string | null = null;
  let state: string | null = null;
  let pid: number | null = null;
  const ips: string[] = [];
  for (const line of text.split('\n')) {
    // Indented lines (" TX bytes:") belong to the Link line above.
    const m = /^([A-Za-z][A-Za-z ]*):\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const [, key, value] = m as unknown as [string, string, string];
    if (key === 'Name') name = value;
    else if (key === 'State') state = value;
    else if (key === 'PID') pid = Number.parseInt(value, 10);
    else if (key === 'IP') ips.push(value);
  }
  const lone = /^\s*([A-Z]+)\s*$/.exec(text)?.[1];
  if (state === null && lone !== undefined && LXC_STATES.includes(lone)) state = lone;
  if (state === null) {
    throw new ParseError(`lxc-info printed no state: ${excerpt(text)}`, {
      hint: 'does the container exist? `lxc-ls -f` lists them',
    });
  }
  return { name, state, pid: Number.isNaN(pid) ? null : pid, ips };
}
