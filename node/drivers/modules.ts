// The kernel modules installed for the running kernel, as modinfo sees them, and its headers.
import type { Host } from '../../hosts/host.ts';
import { FatalError, tail } from '../../core/errors.ts';
import { parseModinfoVersion } from '../parse/modules.ts';
import type { DistroFamily } from '../parse/os-release.ts';

export type InstalledModule = { installed: true; version: string | null } | { installed: false; error: string };

export async function installedModule(host: Host, module: string): Promise<InstalledModule> {
  const result = await host.exec(['modinfo', '-F', 'version', module]);
  if (result.code !== 0) return { installed: false, error: tail(result.stderr || result.stdout, 1) };
  return { installed: true, version: parseModinfoVersion(result.stdout) };
}

export async function kernelRelease(host: Host): Promise<string> {
  return (await host.run(['uname', '-r'])).stdout.trim();
}

function headersPackage(family: DistroFamily, kernel: string): string {
  return family === 'rhel' ? `kernel-devel-${kernel}` : `linux-headers-${kernel}`;
}

/** Throws, naming the package to install, unless the running kernel's build tree is there. */
export async function requireKernelHeaders(host: Host, kernel: string, family: DistroFamily): Promise<void> {
  // `build` is a symlink into the headers package: dangling (test -d fails) when they are missing.
  const build = `/lib/modules/${kernel}/build`;
  if ((await host.exec(['test', '-d', build])).code === 0) return;
  const pkg = headersPackage(family, kernel);
  const install = family === 'rhel' ? `yum install ${pkg}` : `apt-get install ${pkg}`;
  throw new FatalError(`${host.name}: the kernel headers for ${kernel} are missing (no ${build}): install ${pkg}`, {
    hint: `run \`${install}\` on the node (the headers must match the running kernel exactly), then run again`,
  });
}
