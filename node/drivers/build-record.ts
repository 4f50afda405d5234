// What driver-build installed, kept on the node next to the sources: the kernel it was built for
// and each module's tarball checksum. A kernel update or a replaced tarball makes it stale.
import type { Host } from '../../hosts/host.ts';

export const WORK_DIR = '/var/lib/sriov-lxc';
export const SOURCE_DIR = `${WORK_DIR}/src`;
export const RECORD_PATH = `${WORK_DIR}/driver-build.json`;

export interface BuiltModule {
  module: string;
  version: string;
  tarball: string;
  sha256: string;
}

export interface BuildRecord {
  kernel: string;
  modules: BuiltModule[];
}

function isBuildRecord(value: unknown): value is BuildRecord {
  const r = value as Partial<BuildRecord> | null;
  return typeof r?.kernel === 'string' && Array.isArray(r.modules) && r.modules.every((m: Partial<BuiltModule>) => typeof m?.module === 'string' && typeof m.sha256 === 'string');
}

/** The record, or undefined when there is none or it is unreadable (then everything is rebuilt). */
export async function readBuildRecord(host: Host): Promise<BuildRecord | undefined> {
  const text = await host.readFile(RECORD_PATH);
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isBuildRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export async function writeBuildRecord(host: Host, record: BuildRecord): Promise<void> {
  await host.writeFile(RECORD_PATH, `${JSON.stringify(record, null, 2)}\n`);
}
