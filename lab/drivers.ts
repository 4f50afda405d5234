// The driver source tarballs of the lab, in the layout of Intel's ixgbe/ixgbevf releases, packed
// from lab/drivers/ (reproducibly: fixed owner, order and mtime).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sh } from './run.ts';

export const DRIVER_TARBALLS = { pf: 'ixgbe-5.19.6', vf: 'ixgbevf-4.18.9' } as const;

export async function packDrivers(sourceDir: string, outDir: string): Promise<{ pf: string; vf: string }> {
  mkdirSync(outDir, { recursive: true });
  const pack = async (name: string): Promise<string> => {
    const out = join(outDir, `${name}.tar.gz`);
    await sh`tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=2024-01-01 -czf ${out} -C ${sourceDir} ${name}`;
    return out;
  };
  return { pf: await pack(DRIVER_TARBALLS.pf), vf: await pack(DRIVER_TARBALLS.vf) };
}
