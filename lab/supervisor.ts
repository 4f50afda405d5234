// The supervisor of a lab (one detached process per lab, `node lab/supervisor.ts DIR`): the power
// supply, BMC and firmware of every node. It boots each node (firmware: GRUB config -> cmdline,
// fresh boot_id and cpuinfo, then PID 1 of the node in new namespaces), notices when a node
// reboots or powers off (its PID 1 exits), applies the firmware faults (reboot-hangs, slow-boot,
// grub-ignored, bad-cmdline), and boots it again. SIGTERM stops every node and exits.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { clearCgroupChildren, ensureCgroup, labCgroupRoots } from './cgroups.ts';
import { nodeCpuinfo } from './cpuinfo.ts';
import { FAULT_DEFAULT_ARG, type Fault } from './faults.ts';
import { chooseBoot, type BootChoice } from './firmware.ts';
import { efiStubConfigDir, type BlsFile } from './grub.ts';
import { nodeEnv } from './install.ts';
import { onNodeDisk, writeNodeFile } from './node-path.ts';
import { efiStubOf, grubDirOf, labLayout, labPaths, nodeLayout, nodePaths, type Firmware, type Flavour, type NodeLayout } from './layout.ts';
import { readPower, writePower, type PowerPhase, type PowerState } from './power.ts';
import { recordOf, type ProcessRecord } from './processes.ts';
import { shTry } from './run.ts';
import { readState } from './state.ts';

// Joins the node's cgroups, then becomes the node: PID 1 (init.sh) in fresh namespaces inside the
// node's network namespace; its uptime starts at zero (time namespace).
const BOOT_SCRIPT = `for d in $LAB_CGROUPS; do echo $$ > "$d/cgroup.procs"; done
exec ip netns exec "$LAB_NETNS" unshare --cgroup --pid --fork --mount --uts --ipc --time \\
  --boottime "$LAB_BOOTTIME" --mount-proc --kill-child=SIGKILL sh "$LAB_SRC/init.sh"`;

const POWER_OFF_EXIT = 10;

interface NodeContext {
  layout: NodeLayout;
  paths: ReturnType<typeof nodePaths>;
  cgroups: string[];
  power: PowerState;
  holder?: ProcessRecord;
  kill?: () => void;
}

const dir = resolve(process.argv[2] ?? '');
const state = readState(dir);
if (!state) throw new Error(`no lab state in ${dir}`);
const lab = labLayout(state.slot);
const flavour: Flavour = state.flavour;
const firmware: Firmware = state.firmware ?? 'bios';
const nic = state.nic;
const srcDir = fileURLToPath(new URL('./node/', import.meta.url)).replace(/\/$/, '');
// The checkout (or installed package: dist/lab is one level deeper) the lab runs from, for
// mount-root.sh to show it on the node where the node covers its path.
const toolRoot = [fileURLToPath(new URL('..', import.meta.url)), fileURLToPath(new URL('../..', import.meta.url))]
  .map((d) => d.replace(/\/$/, '')).find((d) => existsSync(join(d, 'package.json')));
const shimDir = labPaths(dir).shimDir;
const hostCpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
const stop = new AbortController();

function log(ctx: NodeContext, event: string): void {
  const at = new Date().toISOString();
  console.log(`${at} ${ctx.layout.name} ${event}`);
  ctx.power.history = [...ctx.power.history, { at, event }].slice(-30);
  writePower(ctx.paths.power, ctx.power);
}

function setPhase(ctx: NodeContext, phase: PowerPhase, event: string): void {
  ctx.power.phase = phase;
  log(ctx, event);
}

async function sleep(ms: number): Promise<void> {
  try {
    await delay(ms, undefined, { signal: stop.signal });
  } catch {
    // stopping
  }
}

function faultArg(ctx: NodeContext, fault: Fault): number | undefined {
  const file = join(ctx.paths.faults, fault);
  if (!existsSync(file)) return undefined;
  const n = Number(readFileSync(file, 'utf8').trim());
  return Number.isFinite(n) && n > 0 ? n : (FAULT_DEFAULT_ARG[fault] ?? 1);
}

const faultOn = (ctx: NodeContext, fault: Fault): boolean => existsSync(join(ctx.paths.faults, fault));

const readIf = (path: string): string | undefined => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);

/** grub.cfg and grubenv where this firmware finds them: BIOS GRUB's prefix, or where the ESP's stub points. */
// Where the node's files lead out of its disk (`..`, a link to the host's files), the firmware
// finds nothing there: host code never reads or writes through them.
function grubFiles(ctx: NodeContext): { cfg?: string | undefined; env?: string | undefined } {
  const disk = ctx.paths.disk;
  const stubPath = firmware === 'uefi' ? onNodeDisk(disk, efiStubOf(flavour)) : undefined;
  const stub = stubPath !== undefined ? readIf(stubPath) : undefined;
  const grubDir = (stub !== undefined ? efiStubConfigDir(stub) : undefined) ?? grubDirOf(flavour);
  const cfg = onNodeDisk(disk, join(grubDir, 'grub.cfg'));
  const env = onNodeDisk(disk, join(grubDir, 'grubenv'));
  if (cfg === undefined || env === undefined) log(ctx, `firmware: /${grubDir} leads out of the node's disk: no GRUB configuration there`);
  return { cfg, env };
}

/** The Boot Loader Specification entries GRUB's blscfg reads from /boot/loader/entries. */
function blsFiles(ctx: NodeContext): BlsFile[] {
  const dir = join(ctx.paths.disk, 'boot', 'loader', 'entries');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((file) => ({ file, text: readFileSync(join(dir, file), 'utf8') }));
}

function firmwareChoice(ctx: NodeContext, retry: boolean): BootChoice {
  const files = grubFiles(ctx);
  const choice = chooseBoot({
    grubCfg: files.cfg !== undefined ? readIf(files.cfg) : undefined,
    grubEnv: files.env !== undefined ? readIf(files.env) : undefined,
    blsFiles: blsFiles(ctx),
    lastCmdline: ctx.power.cmdline,
    lastGoodCmdline: ctx.power.lastGoodCmdline,
    grubIgnored: faultOn(ctx, 'grub-ignored'),
    badCmdline: faultOn(ctx, 'bad-cmdline'),
    retry,
  });
  if (choice.grubEnv !== undefined && files.env !== undefined) writeNodeFile(files.env, choice.grubEnv);
  return choice;
}

/** The files the node's kernel shows (bind-mounted over /proc by init). */
function writeBootFiles(ctx: NodeContext, cmdline: string, bootId: string): void {
  const run = ctx.paths.run;
  // What the node's last boot left there (a link, even) goes first: the node is down.
  for (const file of ['cmdline', 'boot_id', 'cpuinfo', 'nr_hugepages', 'ssh-drops-left']) rmSync(join(run, file), { force: true });
  writeNodeFile(join(run, 'cmdline'), `${cmdline}\n`);
  writeNodeFile(join(run, 'boot_id'), `${bootId}\n`);
  writeNodeFile(join(run, 'cpuinfo'), nodeCpuinfo(hostCpuinfo, !faultOn(ctx, 'vt-disabled')));
  writeNodeFile(join(run, 'nr_hugepages'), '0\n');
  writeNodeFile(join(run, 'ssh-drops-left'), `${faultOn(ctx, 'ssh-drops') ? (faultArg(ctx, 'ssh-drops') ?? 0) : 0}\n`);
  for (const stale of ['mounted', 'sshd-ready', 'boot-complete']) rmSync(join(run, stale), { force: true });
}

function childOf(pid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

/** One boot, from the firmware's choice until the node's PID 1 exits; resolves its exit code. */
async function boot(ctx: NodeContext, choice: BootChoice): Promise<number> {
  const bootId = randomUUID();
  writeBootFiles(ctx, choice.cmdline, bootId);
  ctx.power = {
    ...ctx.power,
    boots: ctx.power.boots + 1,
    bootId,
    cmdline: choice.cmdline,
    entry: choice.entry,
  };
  delete ctx.power.sshdReadyAt;
  const uptime = Math.floor(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]));
  const env = {
    ...nodeEnv(ctx.layout, flavour, firmware, srcDir, shimDir, nic),
    LAB_NODEJS: process.execPath,
    ...(toolRoot ? { LAB_TOOL_ROOT: toolRoot } : {}),
    LAB_ADDRESS: `${ctx.layout.address}/${lab.prefixLength}`,
    LAB_NETNS: ctx.layout.netns,
    LAB_CGROUPS: ctx.cgroups.join(' '),
    LAB_BOOTTIME: String(-uptime),
  };
  const consoleFd = openSync(ctx.paths.console, 'a');
  const startedAt = Date.now();
  const child = spawn('sh', ['-c', BOOT_SCRIPT], { env, stdio: ['ignore', consoleFd, consoleFd], cwd: '/' });
  closeSync(consoleFd);
  const exited = new Promise<number>((done) => child.on('exit', (code) => done(code ?? -1)));
  const pid = child.pid;
  if (pid === undefined) return -1;
  ctx.holder = recordOf(pid);
  ctx.kill = () => child.kill('SIGKILL');
  ctx.power.holder = ctx.holder;
  for (let i = 0; i < 200 && !ctx.power.init; i++) {
    const init = childOf(pid);
    if (init !== undefined && readIf(`/proc/${init}/comm`)?.trim() === 'sh') ctx.power.init = recordOf(init);
    else await delay(10);
  }
  setPhase(ctx, 'booting', `boot ${ctx.power.boots}: ${choice.entry}: ${choice.cmdline}`);
  let code: number | undefined;
  void exited.then((c) => (code = c));
  const ready = join(ctx.paths.run, 'sshd-ready');
  while (code === undefined) {
    if (ctx.power.phase === 'booting' && existsSync(ready)) {
      ctx.power.sshdReadyAt = Number(readFileSync(ready, 'utf8').trim());
      ctx.power.lastGoodCmdline = choice.cmdline;
      setPhase(ctx, 'up', `up: sshd ready ${ctx.power.sshdReadyAt - startedAt} ms after power-on`);
    }
    await Promise.race([exited, delay(25)]);
  }
  delete ctx.power.holder;
  delete ctx.power.init;
  delete ctx.kill;
  return code;
}

/** What survives a node's death: VF netdevs in its network namespace, LXC's cgroups. */
async function afterDeath(ctx: NodeContext): Promise<void> {
  const links = (await shTry`ip -n ${ctx.layout.netns} -o link show`).stdout;
  for (const line of links.split('\n')) {
    const name = /^\d+: ([^@:]+)/.exec(line)?.[1];
    if (name && !['lo', 'enp4s0f0', 'enp4s0f1'].includes(name)) await shTry`ip -n ${ctx.layout.netns} link del ${name}`;
  }
  for (const cg of ctx.cgroups) await clearCgroupChildren(cg);
}

async function waitForPowerButton(ctx: NodeContext): Promise<void> {
  while (!stop.signal.aborted && !existsSync(ctx.paths.powerOn)) await sleep(100);
  rmSync(ctx.paths.powerOn, { force: true });
}

async function powerLoop(ctx: NodeContext): Promise<void> {
  let cold = true;
  while (!stop.signal.aborted) {
    if (!cold) {
      setPhase(ctx, 'rebooting', 'rebooting');
      await sleep(state?.bootDelayMs ?? 2000);
    }
    const slow = faultArg(ctx, 'slow-boot');
    if (slow !== undefined) {
      log(ctx, `slow boot: ${slow} s`);
      await sleep(slow * 1000);
    }
    if (!cold && faultOn(ctx, 'reboot-hangs')) {
      setPhase(ctx, 'hung', 'reboot hangs (fault reboot-hangs)');
      while (!stop.signal.aborted && faultOn(ctx, 'reboot-hangs')) await sleep(100);
    }
    if (stop.signal.aborted) break;
    let choice = firmwareChoice(ctx, false);
    if (choice.panics) {
      setPhase(ctx, 'panicked', `kernel panic with ${choice.cmdline} (fault bad-cmdline); reboot in ${choice.panicSeconds} s`);
      await sleep(choice.panicSeconds * 1000);
      if (stop.signal.aborted) break;
      choice = firmwareChoice(ctx, true);
    }
    const code = await boot(ctx, choice);
    await afterDeath(ctx);
    cold = false;
    if (code === POWER_OFF_EXIT && !stop.signal.aborted) {
      setPhase(ctx, 'off', 'powered off');
      await waitForPowerButton(ctx);
      cold = true;
    } else {
      log(ctx, `down (exit ${code})`);
    }
  }
}

async function main(): Promise<void> {
  if (!state) return;
  const roots = labCgroupRoots(state.slot);
  const nodes: NodeContext[] = [];
  for (let i = 1; i <= state.nodeCount; i++) {
    const layout = nodeLayout(lab, i, dir);
    const paths = nodePaths(layout.dir);
    const cgroups = roots.map((r) => join(r, layout.name));
    cgroups.forEach(ensureCgroup);
    const previous = readPower(paths.power);
    const power: PowerState = { phase: 'booting', boots: 0, history: [] };
    if (previous?.lastGoodCmdline) power.lastGoodCmdline = previous.lastGoodCmdline;
    nodes.push({ layout, paths, cgroups, power });
  }
  const shutdown = (): void => {
    stop.abort();
    for (const n of nodes) n.kill?.();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  await Promise.all(nodes.map(powerLoop));
  for (const n of nodes) {
    n.power.phase = 'off';
    log(n, 'lab stopped');
  }
}

await main();
