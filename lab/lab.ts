// The lab's command line: `npx zx lab/lab.ts up|down|status|reboot|ssh|exec|fault|packages|setup` (see
// lab/README.md). Decides and prints; the lab API does the work.
import { spawnSync } from 'node:child_process';
import { LAB_HELP, LabUsageError, parseLabArgs, type LabCommand } from './cli-args.ts';
import {
  activeFaults,
  labDown,
  labExec,
  labFault,
  labInfo,
  labReboot,
  nodePower,
  sshArgv,
} from './index.ts';
import { Interruption } from './interrupt.ts';
import { packagesFor } from './packages.ts';
import { LabSetupError, ensureLabTools } from './setup.ts';
import { sweepSuiteLabs } from './suite-labs.ts';
import { scriptArgs } from '../cli/script-args.ts';

function status(dir: string | undefined, json: boolean): void {
  const info = labInfo(dir);
  const nodes = info.nodes.map((n) => {
    const power = nodePower(dir, n.name);
    return {
      name: n.name,
      address: n.address,
      phase: power?.phase ?? 'unknown',
      boots: power?.boots ?? 0,
      bootId: power?.bootId ?? '',
      cmdline: power?.cmdline ?? '',
      faults: activeFaults(dir, n.name),
      last: power?.history.at(-1)?.event ?? '',
    };
  });
  if (json) {
    console.log(JSON.stringify({ ...info, nodes }, null, 2));
    return;
  }
  console.log(`lab ${info.dir}: subnet ${info.subnet}, peer ${info.peerAddress} (iperf3), controller ${info.controllerAddress}`);
  for (const n of nodes) {
    const faults = Object.entries(n.faults).map(([f, a]) => (a ? `${f}=${a}` : f));
    console.log(`${n.name.padEnd(7)} ${n.address.padEnd(15)} ${n.phase.padEnd(9)} boot ${String(n.boots).padEnd(3)} ${n.bootId}`);
    console.log(`        cmdline: ${n.cmdline}`);
    if (faults.length > 0) console.log(`        faults: ${faults.join(' ')}`);
    console.log(`        last: ${n.last}`);
  }
  console.log(info.inventoryPath);
}

function ssh(dir: string | undefined, node: string, command: string[]): number {
  const info = labInfo(dir);
  if (!info.nodes.some((n) => n.name === node)) throw new LabUsageError(`no node ${node}; nodes: ${info.nodes.map((n) => n.name).join(', ')}`);
  const [program, ...args] = sshArgv(info, node, command);
  return spawnSync(program!, args, { stdio: 'inherit' }).status ?? 255;
}

async function run(command: LabCommand): Promise<number> {
  switch (command.cmd) {
    case 'help':
      process.stdout.write(LAB_HELP);
      return 0;
    case 'up': {
      const t0 = Date.now();
      // Interrupted, `up` takes down what it had started (a lab it reused is left as it was).
      const interruption = new Interruption('lab').install();
      const info = await interruption.run(() => interruption.labUp({
        nodes: command.nodes,
        flavour: command.flavour,
        firmware: command.firmware,
        nic: command.nic,
        ...(command.install ? {} : { install: false }),
        ...(command.dir ? { dir: command.dir } : {}),
        ...(command.bootDelayMs !== undefined ? { bootDelayMs: command.bootDelayMs } : {}),
      }));
      console.log(`${info.nodes.length} ${command.flavour} (${command.firmware}) node(s) with ${command.nic} up in ${Date.now() - t0} ms: ${info.nodes.map((n) => `${n.name} ${n.address}`).join(', ')}; peer ${info.peerAddress}`);
      console.log(info.inventoryPath);
      return 0;
    }
    case 'down':
      await labDown(command.dir);
      return 0;
    case 'status':
      status(command.dir, command.json);
      return 0;
    case 'reboot': {
      const t0 = Date.now();
      const power = await labReboot(command.dir, command.node, { wait: command.wait });
      if (power) console.log(`${command.node} up again in ${Date.now() - t0} ms, boot_id ${power.bootId ?? ''}`);
      return 0;
    }
    case 'ssh':
      return ssh(command.dir, command.node, command.command);
    case 'exec': {
      const r = await labExec(command.dir, command.node, command.command);
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      return r.code;
    }
    case 'fault':
      await labFault(command.dir, command.node, command.fault, command.on, command.arg);
      return 0;
    case 'packages':
      for (const p of packagesFor(command.scope)) console.log(p.name);
      return 0;
    case 'setup': {
      const what = command.scope === 'tests' ? 'the test suite' : 'the lab';
      let installed: string[];
      try {
        installed = await ensureLabTools({ scope: command.scope, what, ...(command.install ? {} : { install: false }), log: (line) => console.log(`lab: ${line}`) });
      } catch (error) {
        if (!(error instanceof LabSetupError) || command.scope !== 'tests') throw error;
        throw new LabSetupError(`${error.message}\n(the tests without the lab need none of them: npm run test:fast)`);
      }
      console.log(installed.length > 0 ? `lab: installed ${installed.join(' ')}` : `lab: every tool ${what} needs is installed`);
      return 0;
    }
    case 'sweep': {
      const swept = await sweepSuiteLabs();
      for (const r of swept.removed) console.log(`lab: swept ${r.dir}, left by ${r.leftBy}${r.labs.length > 0 ? ` (took down ${r.labs.join(', ')})` : ''}`);
      for (const f of swept.failed) console.error(`lab: could not take down the labs in ${f.dir}: ${f.error}`);
      return swept.failed.length > 0 ? 1 : 0;
    }
  }
}

try {
  process.exitCode = await run(parseLabArgs(scriptArgs(import.meta.url)));
} catch (error) {
  console.error(`lab: ${(error as Error).message}`);
  process.exitCode = error instanceof LabUsageError ? 2 : 1;
}
