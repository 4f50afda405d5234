// Issue 22: what real Debian nodes have that the plain lab node lacks, on one debian12 lab of two
// nodes: node1 with kdump-tools' grub drop-in as the package ships it (lab fault kdump-dropin),
// node2 with LANG=de_DE.UTF-8 given to every SSH session and no lspci (german-locale, no-lspci).
import test from 'ava';
import { join } from 'node:path';
import { labFault, labReboot } from '../../lab/index.ts';
import { openHost } from '../../hosts/connect.ts';
import {
  assertProvisioned,
  bootId,
  describeRun,
  execOnNode,
  onNode,
  onlyWithoutBenchmark,
  runCli,
  startTestLab,
  type Lab,
} from '../helpers/lab-fixture.ts';

let labs: Map<string, Lab> | undefined;
let stop: (() => Promise<void>) | undefined;
test.before(async () => {
  const started = await startTestLab('it-real-node-options', 'debian12', 2);
  labs = started.labs;
  stop = started.stop;
});
test.after.always(async () => {
  await stop?.();
});

function node(name: string): Lab {
  const lab = labs?.get(name);
  if (!lab) throw new Error(`the lab did not come up with ${name} (see the before hook)`);
  return lab;
}

const provision = (lab: Lab) =>
  runCli('provision', ['--inventory', lab.info.inventoryPath, '--host', lab.plan.name, '--state-dir', lab.stateDir, '--json', ...onlyWithoutBenchmark()], 240_000);

const cmdlineParams = async (lab: Lab) => (await onNode(lab, ['cat', '/proc/cmdline'])).trim().split(/\s+/);

// The kdump drop-in judged by its outcome (issue 22, the drop-in method in node/boot).
test.serial('lab: a debian12 node with kdump-tools\' drop-in provisions; crashkernel once and the params, also after a plain reboot', async (t) => {
  t.timeout(360_000);
  const lab = node('node1');
  await labFault(lab.dir, lab.plan.name, 'kdump-dropin', true);
  t.is((await onNode(lab, ['cat', '/etc/default/grub.d/kdump-tools.cfg'])).trim(), 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=384M-:128M"');
  const run = await provision(lab);
  t.is(run.code, 0, describeRun(run));
  const check = async (when: string) => {
    const params = await cmdlineParams(lab);
    t.deepEqual(params.filter((p) => p.startsWith('crashkernel=')), ['crashkernel=384M-:128M'], `${when}: crashkernel once: ${params.join(' ')}`);
    t.deepEqual(lab.plan.kernelParams.filter((p) => !params.includes(p)), [], `${when}: the planned params: ${params.join(' ')}`);
  };
  await check('after provisioning');
  const before = await bootId(lab);
  await labReboot(lab.dir, lab.plan.name, { wait: true, timeoutMs: 90_000 });
  t.not(await bootId(lab), before, 'a new boot');
  await check('after a plain reboot');
  t.is((await runCli('provision', ['--inventory', lab.info.inventoryPath, '--host', lab.plan.name, '--state-dir', join(lab.dir, 'state-again'), '--json', ...onlyWithoutBenchmark()], 240_000)).code, 0, 'a fresh run finds it done');
});

test.serial('lab: a debian12 node with LANG=de_DE.UTF-8 in its SSH sessions and no lspci provisions', async (t) => {
  t.timeout(360_000);
  const lab = node('node2');
  await labFault(lab.dir, lab.plan.name, 'german-locale', true);
  await labFault(lab.dir, lab.plan.name, 'no-lspci', true);
  // sshd takes the node's locale at boot.
  await labReboot(lab.dir, lab.plan.name, { wait: true, timeoutMs: 90_000 });

  // The node as an SSH session finds it (the tool's own LC_ALL=C taken away): German, no lspci.
  const host = openHost(lab.plan, { local: false, stateDir: lab.stateDir });
  t.teardown(() => host.close());
  const session = await host.exec(['env', '-u', 'LC_ALL', 'sh', '-c', 'printf "%s\\n" "$LANG"; stat -c %F -- /no/such/path 2>&1; lspci -Dnn; echo "lspci exit $?"']);
  t.regex(session.stdout, /^de_DE\.UTF-8\n.*Datei oder Verzeichnis nicht gefunden\n/, session.stdout);
  t.regex(session.stdout + session.stderr, /lspci: (command )?not found/);
  t.regex(session.stdout, /lspci exit 127$/m);
  t.not((await execOnNode(lab, ['sh', '-c', 'command -v lspci'])).code, 0, 'no lspci on the node');

  const run = await provision(lab);
  t.is(run.code, 0, describeRun(run));
  await assertProvisioned(t, lab);
});
