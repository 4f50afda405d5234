// Stage 7, container-create: template patches, then for each planned container `lxc-create`, its
// config edited to own its VF (phys, planned MAC and address, autostart, cgroup limits, devices,
// the benchmark directory), started, and checked from inside: the VF is there with its MAC, the
// address is set, the tc limit is on, the benchmark peer answers.
import type { Host } from '../hosts/host.ts';
import { commandLine } from '../hosts/quote.ts';
import { FatalError, NotReadyError, tail } from '../core/errors.ts';
import type { ContainerPlan, HostPlan } from '../inventory/plan.ts';
import { unifiedDiff } from '../node/parse/diff.ts';
import type { CheckResult, FileDiff, Stage, StageContext } from '../engine/stage.ts';
import { readVfVerifyOutputs, recordedVfs } from '../node/vfs/outputs.ts';
import { iprouteOf, RECORDED_IPROUTE } from '../node/facts/iproute.ts';
import { recorded } from '../core/outputs.ts';
import { AUTOSTART_READ, autostartService, enableLxcService, LXC_SERVICE } from '../node/lxc/autostart.ts';
import { observe } from '../hosts/observing-host.ts';
import { CONTAINER_IFNAME, inNetns, missingProgram, pingArgv } from '../node/lxc/in-container.ts';
import { ATTACH_TIMEOUT_MS, containerReads, NODE_FACTS_READS, nodeFacts, observeContainer, type ContainerView, type NodeFacts } from '../node/lxc/observe.ts';
import { applyPatch, BACKUP_SUFFIX, patchState, uniquePatches } from '../node/lxc/template-patch.ts';
import { rateCommands } from '../node/lxc/traffic-limit.ts';
import { templateFailureHint } from '../node/lxc/template-hint.ts';
import { CREATED_MARK, creationRecord, hasCreationRecord, ownerOf, sameButMark, withMark, writeCreationRecord } from '../node/lxc/ownership.ts';
import { removeFile } from '../node/files/owned-files.ts';

const CREATE_TIMEOUT_MS = 30 * 60_000;
const START_TIMEOUT_MS = 120_000;

export type ContainerCreateOutputs = {
  containers: {
    name: string;
    state: string;
    pid: number | null;
    vf: { pf: string; index: number; netdev: string };
    mac: string;
    address: string | null;
  }[];
};

function createArgv(c: ContainerPlan): string[] {
  const argv = ['lxc-create', '-n', c.name, '-t', c.template];
  return c.templateArgs.length > 0 ? [...argv, '--', ...c.templateArgs] : argv;
}

const allPatches = (plan: HostPlan) => uniquePatches(plan.containers.flatMap((c) => c.templatePatches));

const factsOf = async (ctx: StageContext): Promise<NodeFacts> => nodeFacts(ctx.host, await iprouteOf(ctx.host, recorded(ctx.outputs, RECORDED_IPROUTE)));

/**
 * Two round trips for a check or verify: the templates, LXC and lxc.service, then (with the
 * lxcpath) every container, our creation records and the pings to the peer.
 */
async function observeNode(ctx: StageContext): Promise<NodeFacts> {
  await observe(ctx.host, [...allPatches(ctx.plan).map((p) => ({ file: p.file })), ...NODE_FACTS_READS, AUTOSTART_READ]);
  const facts = await factsOf(ctx);
  const peer = ctx.plan.benchmark.peer;
  await observe(ctx.host, ctx.plan.containers.flatMap((c) => containerReads(facts, c, [{ file: creationRecord(c.name) }, ...(peer === undefined ? [] : [{ argv: pingArgv(c.name, peer), timeoutMs: ATTACH_TIMEOUT_MS }])])));
  return facts;
}

/** A container as observed, with the mark its config must carry; `creating`: our creation record is there. */
type OwnedView = ContainerView & { creating: boolean };

/**
 * Whose an existing container is: marked by us, one we were creating when a run stopped, or taken
 * with --adopt. Any other container of the inventory's name is refused before anything changes.
 */
function claimOf(ctx: StageContext, v: ContainerView, config: string, creating: boolean): 'created' | 'adopted' {
  const owner = ownerOf(config);
  if (owner !== 'foreign') return owner;
  if (creating) return 'created';
  if (ctx.adopt) return 'adopted';
  const name = v.plan.name;
  throw new FatalError(`container ${name} already exists on ${ctx.host.name} and sriov-lxc did not create it (${v.configPath} has no "${CREATED_MARK}" line): refusing to take it over for VF ${v.plan.vf.index} of ${v.plan.vf.pf}`, {
    hint: `give the inventory's container another name, or move that container out of the way yourself (lxc-copy, or lxc-destroy -n ${name}, which deletes its rootfs); to take it deliberately, run again with --adopt (its config is changed for the VF; teardown then leaves the container in place)`,
  });
}

async function observeOwned(ctx: StageContext, facts: NodeFacts, c: ContainerPlan): Promise<OwnedView> {
  // One round trip for everything the view reads (check's batch already holds them; in apply each
  // change forgot them, and they went one by one: ~6 per view, 3 views per container created).
  await observe(ctx.host, containerReads(facts, c, [{ file: creationRecord(c.name) }]));
  const v = await observeContainer(ctx.host, ctx.plan, recordedVfs(ctx.outputs), facts, c);
  const creating = await hasCreationRecord(ctx.host, c.name);
  if (v.config === undefined) return { ...v, creating };
  const claim = claimOf(ctx, v, v.config, creating);
  return { ...v, creating, wanted: v.wanted === undefined ? undefined : withMark(v.wanted, claim) };
}

async function observeAll(ctx: StageContext, facts: NodeFacts): Promise<OwnedView[]> {
  const views: OwnedView[] = [];
  for (const c of ctx.plan.containers) views.push(await observeOwned(ctx, facts, c));
  return views;
}

/** What is left to do for one container; empty when it is as planned. */
function containerPlan(v: OwnedView, diffs: FileDiff[]): string[] {
  const name = v.plan.name;
  if (v.config === undefined) {
    const vf = 'netdev' in v.vf ? v.vf.netdev : v.vf.problem;
    return [`create ${name}: ${commandLine(createArgv(v.plan))}`, `configure ${name} with its VF (${vf}), MAC ${v.mac}, then start it`];
  }
  if (!('netdev' in v.vf)) return [`configure ${name}: ${v.vf.problem}`];
  const lines: string[] = [];
  if (v.creating) lines.push(`finish the creation of ${name} (a run stopped after lxc-create): mark it as sriov-lxc's, remove ${creationRecord(name)}`);
  for (const h of v.hooks) {
    if (h.current !== h.content) {
      lines.push(`write ${h.path}`);
      diffs.push({ path: h.path, diff: unifiedDiff(h.path, h.current ?? '', h.content) });
    }
  }
  const running = v.info?.state === 'RUNNING';
  if (v.wanted !== v.config) {
    const restarts = running && !sameButMark(v.config, v.wanted ?? '');
    lines.push(`edit ${v.configPath}${restarts ? ` (restarts ${name})` : ''}`);
    diffs.push({ path: v.configPath, diff: unifiedDiff(v.configPath, v.config, v.wanted ?? '') });
  }
  if (!running) return [...lines, `start ${name} (${v.info?.state ?? 'not created'})`];
  const inside = v.inside;
  if (inside === null || v.wanted !== v.config) return lines;
  if (inside.ifname === null) return [...lines, `restart ${name}: no interface with MAC ${v.mac} inside`];
  const address = v.plan.address;
  if (address !== undefined && !inside.addresses.includes(address)) {
    lines.push(`set ${address} on ${inside.ifname} in ${name} (has ${inside.addresses.join(', ') || 'none'}; a DHCP client in the container may have removed it)`);
  }
  if (address !== undefined && v.plan.gateway !== undefined && inside.gateway !== v.plan.gateway) {
    lines.push(`set the default route via ${v.plan.gateway} in ${name}`);
  }
  if (inside.rateOk === false) lines.push(`limit ${inside.ifname} in ${name} to ${v.plan.rate} (tc htb)`);
  if (v.plan.rate === undefined && inside.ourQdisc) lines.push(`remove the tc rate limit of ${inside.ifname} in ${name}`);
  return lines;
}

async function check(ctx: StageContext): Promise<CheckResult> {
  const plan: string[] = [];
  const diffs: FileDiff[] = [];
  const facts = await observeNode(ctx);
  for (const patch of allPatches(ctx.plan)) {
    const s = patchState(patch, await ctx.host.readFile(patch.file));
    if (s.state === 'pending') {
      plan.push(`patch ${patch.file} (${patch.name}), backup in ${patch.file}${BACKUP_SUFFIX}`);
      diffs.push({ path: patch.file, diff: s.diff });
    } else if (s.state === 'not-needed') {
      ctx.log(`template patch ${patch.name}: ${s.reason}`);
    }
  }
  const views = await observeAll(ctx, facts);
  for (const v of views) plan.push(...containerPlan(v, diffs));
  if (await autostartNeedsEnabling(ctx)) plan.push(`enable ${LXC_SERVICE} (it starts the containers marked lxc.start.auto = 1 at boot)`);
  if (plan.length === 0) {
    const list = views.map((v) => `${v.plan.name} (${'netdev' in v.vf ? v.vf.netdev : '?'}, ${v.mac})`).join(', ');
    // The peer is pinged here: a container that lost its way out is not done.
    return { done: true, reason: `${list || 'no containers planned'}: running with their VFs (LXC ${facts.version})`, outputs: await proven(ctx, views) };
  }
  return diffs.length > 0 ? { done: false, plan, diffs } : { done: false, plan };
}

/** Whether lxc.service must be enabled for the planned autostart; warns when there is none. */
async function autostartNeedsEnabling(ctx: StageContext): Promise<boolean> {
  if (!ctx.plan.containers.some((c) => c.autostart)) return false;
  const service = await autostartService(ctx.host);
  if (service === 'missing') ctx.log(`no ${LXC_SERVICE} on ${ctx.host.name}: containers marked lxc.start.auto = 1 start at boot only if something runs lxc-autostart`);
  return service === 'disabled';
}

async function applyPatches(ctx: StageContext): Promise<void> {
  for (const patch of allPatches(ctx.plan)) {
    if (await applyPatch(ctx.host, patch)) ctx.log(`patched ${patch.file} (${patch.name})`);
  }
}

async function mustRun(host: Host, argv: string[], timeoutMs: number, what: string, hint: string | ((output: string) => string)): Promise<void> {
  const result = await host.exec(argv, { timeoutMs });
  if (result.code !== 0) {
    throw new FatalError(`${what} failed (exit ${result.code}): ${tail(result.stderr || result.stdout, 3)}`, {
      command: commandLine(argv), code: result.code, stderrTail: tail(result.stderr), hint: typeof hint === 'string' ? hint : hint(`${result.stdout}\n${result.stderr}`),
    });
  }
}

/** Address, route and tc inside a running container, where they differ from the plan. */
async function settleInside(ctx: StageContext, v: OwnedView): Promise<void> {
  const { host } = ctx;
  const c = v.plan;
  const inside = v.inside;
  if (inside === null || inside.ifname === null) return;
  const ifname = inside.ifname;
  const run = (argv: string[]) => host.run(inNetns(c.name, argv), { timeoutMs: ATTACH_TIMEOUT_MS });
  if (c.address !== undefined && !inside.addresses.includes(c.address)) {
    ctx.log(`${c.name}: ${c.address} missing on ${ifname} (the container's DHCP client, e.g. busybox udhcpc, flushes it); setting it`);
    await run(['ip', 'addr', 'replace', c.address, 'dev', ifname]);
  }
  if (c.address !== undefined && c.gateway !== undefined && inside.gateway !== c.gateway) {
    await run(['ip', 'route', 'replace', 'default', 'via', c.gateway, 'dev', ifname]);
  }
  if (c.rate !== undefined && inside.rateOk === false) {
    for (const argv of rateCommands(ifname, c.rate)) await run(argv);
  }
  if (c.rate === undefined && inside.ourQdisc) await run(['tc', 'qdisc', 'del', 'dev', ifname, 'root']);
}

async function applyContainer(ctx: StageContext, facts: NodeFacts, planned: ContainerPlan): Promise<void> {
  const { host } = ctx;
  let v = await observeOwned(ctx, facts, planned);
  if (v.config === undefined) {
    ctx.log(`creating ${planned.name} from the ${planned.template} template`);
    // Noted first: a run stopped between lxc-create and the mark finds the container its own.
    await writeCreationRecord(host, planned.name);
    await mustRun(host, createArgv(planned), CREATE_TIMEOUT_MS, `lxc-create of ${planned.name}`,
      (output) => templateFailureHint(planned.template, planned.templateArgs, output));
    v = await observeOwned(ctx, facts, planned);
  }
  if (v.config === undefined || v.wanted === undefined) {
    throw new FatalError(`cannot configure ${planned.name}: ${'problem' in v.vf ? v.vf.problem : `${v.configPath} is missing after lxc-create`}`, {
      hint: 'run vf-verify first; stop any container that holds this VF',
    });
  }
  if (facts.style === 'legacy' && planned.rate !== undefined) {
    ctx.log(`${planned.name}: LXC ${facts.version} has no start-host hook; the tc limit is set now and lost when the container restarts (run this stage again then)`);
  }
  for (const h of v.hooks) if (h.current !== h.content) await host.writeFile(h.path, h.content, { mode: 0o755 });
  let running = v.info?.state === 'RUNNING';
  const restart = running && v.inside?.ifname === null;
  if (v.wanted !== v.config || restart) {
    if (running && (restart || !sameButMark(v.config, v.wanted))) {
      ctx.log(`stopping ${planned.name} to change its config`);
      await mustRun(host, ['lxc-stop', '-n', planned.name, '-t', '10'], START_TIMEOUT_MS, `lxc-stop of ${planned.name}`, `lxc-stop -n ${planned.name} -k stops it at once`);
      running = false;
    }
    await host.writeFile(v.configPath, v.wanted);
  }
  if (v.creating) await removeFile(host, creationRecord(planned.name));
  if (!running) {
    ctx.log(`starting ${planned.name}`);
    await mustRun(host, ['lxc-start', '-n', planned.name, '-d'], START_TIMEOUT_MS, `lxc-start of ${planned.name}`,
      `see why with: lxc-start -n ${planned.name} -F -l DEBUG -o /tmp/${planned.name}.log`);
  }
  await settleInside(ctx, await observeOwned(ctx, facts, planned));
}

async function apply(ctx: StageContext): Promise<void> {
  await applyPatches(ctx);
  if (ctx.plan.containers.length === 0) return;
  readVfVerifyOutputs(ctx.outputs);
  await observe(ctx.host, NODE_FACTS_READS);
  const facts = await factsOf(ctx);
  // Asked before the containers change anything: the check's observation answers it (creating and
  // starting containers does not enable or disable lxc.service), where after them it was a round trip.
  const enableService = await autostartNeedsEnabling(ctx);
  for (const c of ctx.plan.containers) await applyContainer(ctx, facts, c);
  if (enableService) await enableLxcService(ctx.host);
}

async function reachesPeer(ctx: StageContext, c: ContainerPlan, peer: string): Promise<void> {
  const argv = pingArgv(c.name, peer);
  const result = await ctx.host.exec(argv, { timeoutMs: ATTACH_TIMEOUT_MS });
  if (result.code === 0) return;
  if (missingProgram(result.code, result.stderr)) {
    throw new FatalError(`container ${c.name} has no ping to test that it reaches ${peer}`, {
      command: commandLine(argv), hint: `install ping in the container (iputils-ping / iputils), e.g. lxc-attach -n ${c.name} -- yum install -y iputils`,
    });
  }
  throw new NotReadyError(`container ${c.name} does not reach the benchmark peer ${peer} over its VF`, {
    command: commandLine(argv), code: result.code,
    hint: `check the address and prefix of ${c.name}, the peer, and the switch port of the PF; lxc-attach -n ${c.name} -- ip addr`,
  });
}

async function verify(ctx: StageContext): Promise<ContainerCreateOutputs> {
  return proven(ctx, await observeAll(ctx, await observeNode(ctx)));
}

/** The containers as observed, each running with its VF, address and limit, and reaching the peer. */
async function proven(ctx: StageContext, views: readonly OwnedView[]): Promise<ContainerCreateOutputs> {
  const containers: ContainerCreateOutputs['containers'] = [];
  for (const v of views) {
    const c = v.plan;
    if (v.info === null || !('netdev' in v.vf)) throw new FatalError(`container ${c.name} is not configured`, { hint: 'run this stage again' });
    if (v.info.state !== 'RUNNING') {
      const settling = v.info.state === 'STARTING';
      const message = `container ${c.name} is ${v.info.state}`;
      const hint = `see why with: lxc-start -n ${c.name} -F -l DEBUG -o /tmp/${c.name}.log`;
      throw settling ? new NotReadyError(message, { hint }) : new FatalError(message, { hint });
    }
    const inside = v.inside;
    if (inside === null || inside.ifname === null) {
      throw new NotReadyError(`container ${c.name} has no interface with MAC ${v.mac} (its VF ${v.vf.netdev})`, {
        hint: `lxc-attach -n ${c.name} -s NETWORK -- ip link; the VF must be free on the host when the container starts`,
      });
    }
    if (c.address !== undefined && !inside.addresses.includes(c.address)) {
      throw new NotReadyError(`container ${c.name} lacks ${c.address} on ${inside.ifname} (has ${inside.addresses.join(', ') || 'none'})`, {
        hint: 'a DHCP client in the container (busybox udhcpc, dhclient) may remove static addresses: disable it in the container',
      });
    }
    if (inside.rateOk === false) throw new NotReadyError(`the tc limit of ${c.name} is not ${c.rate}`, { hint: `lxc-attach -n ${c.name} -s NETWORK -- tc class show dev ${CONTAINER_IFNAME}` });
    if (ctx.plan.benchmark.peer !== undefined) await reachesPeer(ctx, c, ctx.plan.benchmark.peer);
    containers.push({
      name: c.name,
      state: v.info.state,
      pid: v.info.pid,
      vf: { pf: c.vf.pf, index: c.vf.index, netdev: v.vf.netdev },
      mac: v.mac,
      address: inside.addresses[0] ?? null,
    });
  }
  return { containers };
}

export const containerCreateStage: Stage = {
  id: 'container-create',
  title: 'Create the LXC containers, each with its VF',
  inputs: (plan) => ({
    containers: plan.containers,
    macs: plan.containers.map((c) => plan.pfs.find((pf) => pf.name === c.vf.pf)?.macs[c.vf.index] ?? null),
    benchDir: plan.benchmark.fio.directory,
    peer: plan.benchmark.peer ?? null,
  }),
  check,
  apply,
  verify,
};
