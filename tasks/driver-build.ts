// Stage 2, driver-build (paper section 3: "tar xvzf ixgbe-*.tar.gz; cd ixgbe-*/src; make install",
// then the same for ixgbevf): build Intel's out-of-tree drivers for the running kernel, or check
// that the distro's in-box drivers are there. Modules are not loaded here (the reboot does it).
import { commandLine } from '../hosts/quote.ts';
import { runSequence } from '../hosts/sequence.ts';
import { CommandError, FatalError, tail } from '../core/errors.ts';
import type { HostPlan } from '../inventory/plan.ts';
import { distroOf } from '../node/facts/distro.ts';
import type { CheckResult, Stage, StageContext, StageOutputs } from '../engine/stage.ts';
import { RECORD_PATH, SOURCE_DIR, readBuildRecord, writeBuildRecord, type BuildRecord } from '../node/drivers/build-record.ts';
import { installedModule, kernelRelease, moduleReads, requireKernelHeaders } from '../node/drivers/modules.ts';
import { observe } from '../hosts/observing-host.ts';
import { readTarball, type DriverTarball } from '../node/drivers/tarball.ts';

const BUILD_TIMEOUT_MS = 30 * 60_000;

interface TarballState {
  kernel: string;
  tarballs: DriverTarball[];
  record: BuildRecord | undefined;
  /** Why the installed drivers are not the ones the tarballs build; empty when they are. */
  stale: string[];
}

const short = (sha: string): string => `${sha.slice(0, 12)}…`;
const srcDir = (t: DriverTarball): string => `${SOURCE_DIR}/${t.stem}`;
const makeArgv = (t: DriverTarball): string[] => ['make', '-C', `${srcDir(t)}/src`, 'install'];

async function planTarballs(ctx: StageContext): Promise<DriverTarball[]> {
  const d = ctx.plan.driver;
  // ixgbe first: ixgbevf's build and load expect the PF driver in place.
  return [await readTarball(d.pfModule, d.pfTarball, 'pf'), await readTarball(d.vfModule, d.vfTarball, 'vf')];
}

/** The kernel, the planned modules as modinfo sees them and the build record: one round trip. */
const observeDrivers = (ctx: StageContext): Promise<void> => observe(ctx.host, [...moduleReads([ctx.plan.driver.pfModule, ctx.plan.driver.vfModule]), { file: RECORD_PATH }]);

async function tarballState(ctx: StageContext): Promise<TarballState> {
  const tarballs = await planTarballs(ctx);
  await observeDrivers(ctx);
  const kernel = await kernelRelease(ctx.host);
  const record = await readBuildRecord(ctx.host);
  const stale: string[] = [];
  if (record && record.kernel !== kernel) stale.push(`the kernel changed from ${record.kernel} to ${kernel} since the last build`);
  for (const t of tarballs) {
    const installed = await installedModule(ctx.host, t.module);
    const built = record?.modules.find((m) => m.module === t.module);
    if (!installed.installed) stale.push(`${t.module} is not installed for kernel ${kernel} (${installed.error})`);
    else if (installed.version !== t.version) stale.push(`${t.module} ${installed.version ?? '(in-kernel, no version)'} is installed, the tarball is ${t.version}`);
    else if (!built) stale.push(`no record of ${t.module} being built from ${t.file}`);
    else if (built.sha256 !== t.sha256) stale.push(`${t.file} changed since ${t.module} was built (sha256 ${short(built.sha256)} → ${short(t.sha256)})`);
  }
  return { kernel, tarballs, record, stale };
}

/** The compiler's first error (what broke), else the last line of the output. */
function firstError(output: string): string {
  return output.split('\n').find((l) => /\berror:/.test(l))?.trim() ?? tail(output, 1);
}

function buildFailure(t: DriverTarball, kernel: string, argv: string[], result: { code: number; stdout: string; stderr: string }): CommandError {
  const missingTool = result.code === 127;
  return new CommandError(`building ${t.module} ${t.version} for kernel ${kernel} failed (exit ${result.code}): ${firstError(result.stderr || result.stdout)}`, {
    command: commandLine(argv),
    code: result.code,
    stderrTail: tail(result.stderr || result.stdout, 15),
    hint: missingTool
      ? 'make is not installed on the node: install make and gcc (Debian: apt-get install build-essential; RHEL: yum install make gcc), then run again'
      : `${t.module} ${t.version} does not build against kernel ${kernel}: use a release that supports this kernel (see its README), or driver.source: inbox; the full log: run \`${commandLine(argv)}\` on the node`,
  });
}

async function buildAndInstall(ctx: StageContext, t: DriverTarball, kernel: string): Promise<void> {
  const dir = srcDir(t);
  // A fresh tree every time: a build interrupted halfway leaves nothing that the next one trusts.
  await runSequence(ctx.host, [
    ['rm', '-rf', dir],
    ['mkdir', '-p', dir],
    ['tar', '-xzf', `${SOURCE_DIR}/${t.file}`, '-C', dir, '--strip-components=1'],
  ]);
  ctx.log(`building ${t.module} ${t.version} for kernel ${kernel}`);
  const argv = makeArgv(t);
  const result = await ctx.host.exec(argv, { timeoutMs: BUILD_TIMEOUT_MS });
  if (result.code !== 0) throw buildFailure(t, kernel, argv, result);
}

async function checkInbox(ctx: StageContext): Promise<{ kernel: string; modules: { module: string; version: string | null }[] }> {
  await observeDrivers(ctx);
  const kernel = await kernelRelease(ctx.host);
  const modules = [];
  for (const module of [ctx.plan.driver.pfModule, ctx.plan.driver.vfModule]) {
    const installed = await installedModule(ctx.host, module);
    if (!installed.installed) {
      throw new FatalError(`${ctx.host.name}: the in-box driver ${module} is not installed for kernel ${kernel} (${installed.error})`, {
        hint: `install the kernel's extra modules package (Debian: linux-image-${kernel}; RHEL: kernel-modules-${kernel}), or set driver.source: tarball with Intel's sources`,
      });
    }
    modules.push({ module, version: installed.version });
  }
  return { kernel, modules };
}

export const driverBuildStage: Stage = {
  id: 'driver-build',
  title: 'Build and install the NIC drivers',
  inputs: (plan: HostPlan) => plan.driver,

  async check(ctx): Promise<CheckResult> {
    if (ctx.plan.driver.source === 'inbox') {
      const { kernel, modules } = await checkInbox(ctx);
      const list = modules.map((m) => `${m.module} ${m.version ?? '(in-kernel)'}`).join(', ');
      return { done: true, reason: `in-box drivers installed for kernel ${kernel}: ${list}` };
    }
    const state = await tarballState(ctx);
    const names = state.tarballs.map((t) => `${t.module} ${t.version}`).join(' and ');
    if (state.stale.length === 0) return { done: true, reason: `${names} built from the planned tarballs are installed for kernel ${state.kernel}` };
    // Missing headers fail now, before anything is uploaded or changed.
    await requireKernelHeaders(ctx.host, state.kernel, (await distroOf(ctx.host, ctx.outputs)).family);
    return {
      done: false,
      plan: [
        ...state.stale.map((s) => `why: ${s}`),
        ...state.tarballs.map((t) => `upload ${t.file} (sha256 ${short(t.sha256)}) to ${SOURCE_DIR}/`),
        ...state.tarballs.map((t) => `build and install ${t.module} ${t.version} for kernel ${state.kernel}: ${commandLine(makeArgv(t))}`),
        'depmod -a',
      ],
    };
  },

  async apply(ctx) {
    // In-box drivers come with the kernel: check either finds them or stops the run.
    if (ctx.plan.driver.source === 'inbox') return;
    const tarballs = await planTarballs(ctx);
    const kernel = await kernelRelease(ctx.host);
    await requireKernelHeaders(ctx.host, kernel, (await distroOf(ctx.host, ctx.outputs)).family);
    for (const t of tarballs) await ctx.host.upload(t.localPath, `${SOURCE_DIR}/${t.file}`, { directoryMode: 0o700 });
    for (const t of tarballs) await buildAndInstall(ctx, t, kernel);
    await ctx.host.run(['depmod', '-a']);
    await writeBuildRecord(ctx.host, {
      kernel,
      modules: tarballs.map((t) => ({ module: t.module, version: t.version, tarball: t.file, sha256: t.sha256 })),
    });
  },

  async verify(ctx): Promise<StageOutputs> {
    if (ctx.plan.driver.source === 'inbox') return { source: 'inbox', ...(await checkInbox(ctx)) };
    const state = await tarballState(ctx);
    if (state.stale.length > 0 || !state.record) {
      throw new FatalError(`${ctx.host.name}: after the build, ${state.stale.join('; ')}`, {
        hint: 'another module file may take precedence: `modinfo -F filename <module>` on the node shows which one is used (see also /etc/depmod.d)',
      });
    }
    return { source: 'tarball', kernel: state.kernel, modules: state.record.modules };
  },
};
