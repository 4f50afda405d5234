// The kernel modules installed for the running kernel, as modinfo sees them, and its headers.
import type { Host } from '../../hosts/host.ts';
import { observe, type Read } from '../../hosts/observing-host.ts';
import { FatalError, tail } from '../../core/errors.ts';
import { parseModinfoVersion } from '../parse/modules.ts';
import type { DistroFamily } from '../parse/os-release.ts';

export type InstalledModule = { installed: true; version: string | null } | { installed: false; error: string };

/** The running kernel's release. */
export const UNAME_ARGV: readonly string[] = ['uname', '-r'];

/** What kernelRelease and installedModule read, for a batched observation. */
export function moduleReads(modules: readonly string[]): Read[] {
  return [{ argv: UNAME_ARGV }, ...modules.map((module) => ({ argv: modinfoArgv(module) }))];
}

const modinfoArgv = (module: string): string[] => ['modinfo', '-F', 'version', module];

export async function installedModule(host: Host, module: string): Promise<InstalledModule> {
  const result = await host.exec(modinfoArgv(module));
  if (result.code !== 0) return { installed: false, error: tail(result.stderr || result.stdout, 1) };
  return { installed: true, version: parseModinfoVersion(result.stdout) };
}

export async function kernelRelease(host: Host): Promise<string> {
  return (await host.run(UNAME_ARGV)).stdout.trim();
}

function headersPackage(family: DistroFamily, kernel: string): string {
  return family === 'rhel' ? `kernel-devel-${kernel}` : `linux-headers-${kernel}`;
}

/** Throws, naming the package to install, unless the running kernel's build tree is there. */
export async function requireKernelHeaders(host: Host, kernel: string, family: DistroFamily): Promise<void> {
  // `build` is a symlink into the headers package: dangling (test -d fails) when they are missing.
  const build = `/lib/modules/${kernel}/build`;
  const argv = ['test', '-d', build];
  // Observed, not just run: a command the host does not know as a read forgets what the check
  // read, and apply, which asks again, read the kernel and this once more.
  await observe(host, [{ argv }]);
  if ((await host.exec(argv)).code === 0) return;
  const pkg = headersPackage(family, kernel);
  const install = family === 'rhel' ? `yum install ${pkg}` : `apt-get install ${pkg}`;
  throw new FatalError(`${host.name}: the kernel headers for ${kernel} are missing (no ${build}): install ${pkg}`, {
    hint: `run \`${install}\` on the node (the headers must match the running kernel exactly), then run again`,
  });
}
