#!/usr/bin/env -S npx zx
// `npm run demo`: a simulated SR-IOV node (the lab, CentOS 7 flavour like the paper's), provisioned
// end to end over SSH with the live task tree (reboot included), a short summary, the HTML report,
// then the lab is taken down. The provisioning is the real CLI, run as a child process. Ctrl-C
// (SIGINT) or SIGTERM: the provisioning is stopped, the lab taken down (--keep or not), its state
// removed (lab/interrupt.ts), exit 130/143.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_NIC, FLAVOURS, NIC_MODELS, isFlavour } from './index.ts';
import { Interruption, TRACKED_CHILD } from './interrupt.ts';
import { readCheckpoint } from '../state/checkpoint.ts';
import { scriptArgs } from '../cli/script-args.ts';

const HELP = `Usage: npm run demo [-- --flavour centos7|debian12|alma8|alma9|ubuntu2404] [--nic ${NIC_MODELS.join('|')}] [--keep]

Starts one lab node, provisions it over SSH (every stage, one reboot, the quick benchmark),
prints what it built and where the state and report are, and takes the lab down.
  --flavour F   centos7 (default, the paper's distro), debian12, alma8, alma9 or ubuntu2404
  --nic M       the node's NIC: ${NIC_MODELS.join(', ')} (default ${DEFAULT_NIC}, the paper's)
  --keep        leave the lab running (take it down with: npx zx lab/lab.ts down)
`;

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

interface VfOutputs {
  pfs?: { name: string; vfs: { index: number; netdev: string | null; mac?: string }[] }[];
}
interface ContainerOutputs {
  containers?: { name: string; state: string; vf: { pf: string; index: number; netdev: string }; mac: string; address?: string }[];
}
interface MacOutputs {
  macs?: { pf: string; vf: number; mac: string }[];
}

const interruption = new Interruption('demo');

function runNode(script: string, args: string[], options: { capture?: boolean } = {}) {
  return spawnSync(process.execPath, [script, ...args], { stdio: options.capture ? ['ignore', 'pipe', 'inherit'] : 'inherit', encoding: 'utf8' });
}

/** A Node script on the terminal, stopped (and waited for) on SIGINT/SIGTERM; resolves its exit code. */
async function runTracked(script: string, args: string[]): Promise<number | null> {
  interruption.signal.throwIfAborted();
  const argv = [process.execPath, script, ...args];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit', ...TRACKED_CHILD });
  interruption.track(child, argv);
  const code = await new Promise<number | null>((done, fail) => {
    child.once('error', fail);
    child.once('close', done);
  });
  interruption.signal.throwIfAborted();
  return code;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { flavour: { type: 'string' }, nic: { type: 'string' }, keep: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const flavour = values.flavour ?? 'centos7';
  if (!isFlavour(flavour)) {
    process.stderr.write(`error: --flavour ${flavour}: expected one of ${FLAVOURS.join(', ')}\n`);
    return 2;
  }
  const nic = values.nic ?? DEFAULT_NIC;
  if (!NIC_MODELS.includes(nic)) {
    process.stderr.write(`error: --nic ${nic}: expected one of ${NIC_MODELS.join(', ')}\n`);
    return 2;
  }
  const dir = here('../.lab/demo');
  const stateDir = join(dir, 'state');
  const started = Date.now();
  console.log(`lab: starting one ${flavour} node with ${nic} in ${dir}`);
  // What this run makes describes its lab only: an interrupted run removes it.
  if (!existsSync(dir)) interruption.ownDir(dir);
  else if (!existsSync(stateDir)) interruption.ownDir(stateDir);
  const lab = await interruption.labUp({ dir, nodes: 1, flavour, nic });
  try {
    console.log(`lab: node1 at ${lab.nodes[0]!.address}, iperf3 peer at ${lab.peerAddress}; inventory ${lab.inventoryPath}\n`);
    const provision = await runTracked(here('../workflows/provision.ts'), ['--inventory', lab.inventoryPath, '--host', 'node1', '--state-dir', stateDir, '--bench-profile', 'quick']);
    const cp = readCheckpoint(stateDir, 'node1');
    const out = (id: string) => cp?.stages[id]?.outputs ?? {};
    const vfs = out('vf-verify') as VfOutputs;
    const containers = out('container-create') as ContainerOutputs;
    const macs = out('mac-reset') as MacOutputs;
    const bench = out('benchmark') as { runId?: string; summary?: string };

    console.log('\n— demo summary —');
    const macOf = (pf: string, vf: number) => macs.macs?.find((m) => m.pf === pf && m.vf === vf)?.mac ?? '?';
    for (const pf of vfs.pfs ?? []) {
      console.log(`${pf.name}: ${pf.vfs.length} VFs`);
      for (const v of pf.vfs) console.log(`  vf ${v.index}  ${(v.netdev ?? '(in a container)').padEnd(16)} ${macOf(pf.name, v.index)}`);
    }
    for (const c of containers.containers ?? []) {
      console.log(`container ${c.name}: ${c.state}, owns ${c.vf.netdev} (${c.vf.pf} vf ${c.vf.index}, ${c.mac})${c.address ? `, ${c.address}` : ''}`);
    }
    if (bench.summary) console.log(`\n${bench.summary}`);
    if (bench.runId) {
      const html = join(stateDir, 'hosts', 'node1', 'runs', bench.runId, 'report.html');
      const report = runNode(here('../workflows/report.ts'), ['--host', 'node1', '--state-dir', stateDir, '--format', 'html', '--out', html], { capture: true });
      if (report.status === 0) console.log(`\nreport: ${html}`);
    }
    console.log(`state: ${stateDir} (npx zx workflows/status.ts --state-dir ${stateDir})`);
    console.log(`demo took ${Math.round((Date.now() - started) / 1000)} s`);
    return provision ?? 1;
  } finally {
    if (values.keep && !interruption.signal.aborted) console.log(`lab kept running in ${dir}`);
    else {
      try {
        await interruption.labDown(dir);
        console.log('lab: down, nothing left behind');
      } catch (error) {
        console.error(`lab: taking the lab down failed (${(error as Error).message}): run \`npx zx lab/lab.ts down --dir ${dir}\``);
      }
    }
  }
}

try {
  interruption.install();
  process.exitCode = await interruption.run(() => main(scriptArgs(import.meta.url)));
} catch (error) {
  // labUp's own failures say what failed and that the lab is down.
  console.error(`demo: ${(error as Error).message}`);
  process.exitCode = 1;
}
