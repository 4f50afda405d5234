// Block and character devices passed through to a container (paper appendix A): their type and
// numbers as the node has them, from `stat -L -c '%t %T %F'` (major and minor in hex).
import { ParseError, excerpt } from '../parse/parse-error.ts';

export interface DeviceNode {
  /** The path on the host, under /dev/. */
  path: string;
  type: 'b' | 'c';
  major: number;
  minor: number;
}

export function statDeviceArgv(path: string): string[] {
  return ['stat', '-L', '-c', '%t %T %F', path];
}

/** The node `path` is, from the stat output; a clear error when it is not a device. */
export function parseStatDevice(path: string, text: string): DeviceNode {
  const m = /^([0-9a-f]+) ([0-9a-f]+) (.+)$/.exec(text.trim());
  if (!m) throw new ParseError(`unexpected stat output for ${path}: ${excerpt(text)}`);
  const kind = m[3] as string;
  const type = kind === 'block special file' ? 'b' : kind === 'character special file' ? 'c' : undefined;
  if (type === undefined) {
    throw new ParseError(`${path} is a ${kind}, not a device`, { hint: 'list block or character devices in containers[].devices' });
  }
  return { path, type, major: Number.parseInt(m[1] as string, 16), minor: Number.parseInt(m[2] as string, 16) };
}

/** The cgroup rule that lets the container use the device: "b 259:0 rwm". */
export function devicesAllowRule(d: DeviceNode): string {
  return `${d.type} ${d.major}:${d.minor} rwm`;
}
