// Secrets and host identity on the real CLI against a lab node (issue 6): the SSH private key
// never reaches state, journals, run results, reports, the CLI's output or the node; a node
// whose host key changed is refused with both fingerprints, in both host-key modes, and trusted
// again only with --accept-new-host-key.
import test from 'ava';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { labReboot } from '../../lab/index.ts';
import {
  NODE,
  bootId,
  describeRun,
  finished,
  hostReport,
  jsonOf,
  onNode,
  onlyWithoutBenchmark,
  provisionArgs,
  runCli,
  spawnCli,
  useLab,
  waitFor,
  type ProvisionReport,
} from '../helpers/lab-fixture.ts';
import { derivedInventory } from '../helpers/fault-lab.ts';

const lab = useLab(test, 'centos7');

/** Every regular file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

/** The private key's tell-tale pieces: its armour and every line of its base64 body. */
function secretPieces(keyPath: string): string[] {
  const lines = readFileSync(keyPath, 'utf8').split('\n').map((l) => l.trim());
  const body = lines.filter((l) => l !== '' && !l.startsWith('-----'));
  if (body.length === 0) throw new Error(`${keyPath} has no key body`);
  return ['PRIVATE KEY-----', ...body.filter((l) => l.length >= 16)];
}

function leaks(text: string, pieces: readonly string[]): string[] {
  return pieces.filter((p) => text.includes(p));
}

test.serial('lab: secrets: the SSH private key is in no state file, journal, result, report, CLI output or file on the node', async (t) => {
  t.timeout(400_000);
  const pieces = secretPieces(lab().info.keyPath);
  const outputs: string[] = [];

  // A full run with the quick benchmark (results and reports), verbose, then a failing one (error
  // tails, hints) and the status table.
  const full = await runCli('provision', provisionArgs(lab(), '--bench-profile', 'quick', '--renderer', 'verbose'), 400_000);
  t.is(full.code, 0, describeRun(full));
  outputs.push(full.stdout, full.stderr);
  const refused = await runCli('provision', provisionArgs(lab(), '--only', 'no-such-stage'));
  t.is(refused.code, 2, describeRun(refused));
  outputs.push(refused.stdout, refused.stderr);
  const status = await runCli('status', ['--state-dir', lab().stateDir, '--host', NODE]);
  t.is(status.code, 0, describeRun(status));
  outputs.push(status.stdout, status.stderr);
  for (const format of ['md', 'json', 'csv', 'html']) {
    const report = await runCli('report', ['--state-dir', lab().stateDir, '--host', NODE, '--format', format]);
    t.is(report.code, 0, describeRun(report));
    t.true(report.stdout.length > 0, `report --format ${format} wrote something`);
    outputs.push(report.stdout, report.stderr);
  }

  const stateFiles = filesUnder(lab().stateDir);
  t.true(stateFiles.some((f) => f.endsWith('checkpoint.json')) && stateFiles.some((f) => f.endsWith('journal.jsonl')), stateFiles.join('\n'));
  t.true(stateFiles.some((f) => f.includes(`${join('results', '')}`) || f.includes('runs')), `run results are among the files searched:\n${stateFiles.join('\n')}`);
  for (const file of stateFiles) t.deepEqual(leaks(readFileSync(file, 'latin1'), pieces), [], `${file} holds part of the private key`);
  outputs.forEach((text, i) => t.deepEqual(leaks(text, pieces), [], `CLI output ${i} holds part of the private key`));

  // What the tool writes on the node: its state, units and scripts, the containers' configs.
  const onTheNode = await onNode(lab(), ['sh', '-c', 'cat /var/lib/sriov-lxc/* /var/lib/sriov-lxc/*/* /etc/systemd/system/sriov-* /usr/local/sbin/sriov-* /var/lib/lxc/*/config 2>/dev/null; true']);
  t.true(onTheNode.length > 0, 'the node holds files the tool wrote');
  t.deepEqual(leaks(onTheNode, pieces), [], 'a file the tool wrote on the node holds part of the private key');
});

/** The SHA256 fingerprint of the node's ed25519 host key, as ssh-keygen -l prints it. */
async function hostKeyFingerprint(): Promise<string> {
  const out = await onNode(lab(), ['ssh-keygen', '-l', '-f', '/etc/ssh/ssh_host_ed25519_key.pub']);
  const fp = out.split(/\s+/)[1];
  if (!fp?.startsWith('SHA256:')) throw new Error(`ssh-keygen -l printed ${out}`);
  return fp;
}

/** Gives the node a new host key, as a reinstall would, and reboots it so sshd offers it. */
async function newHostKey(): Promise<void> {
  const before = await bootId(lab());
  await onNode(lab(), ['sh', '-c', 'rm -f /etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_ed25519_key.pub && ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key']);
  await labReboot(lab().dir, NODE, { wait: true, timeoutMs: 60_000 });
  if ((await bootId(lab())) === before) throw new Error('the node did not reboot');
}

// Issue 17 (5): the same node under another inventory name and another state dir, while a run
// works on it: the node's own lock refuses the second run (exit 3), naming the first. The first
// run is stopped (SIGSTOP) once it holds the node's lock, so the overlap is certain.
test.serial('lab: node lock: a second run on the same node under another name and state dir exits 3 naming the holder', async (t) => {
  t.timeout(300_000);
  const doc = parse(readFileSync(lab().info.inventoryPath, 'utf8')) as { hosts: Record<string, unknown> };
  doc.hosts = { twin: doc.hosts[NODE] };
  const twinInventory = join(lab().dir, 'derived', 'twin.yaml');
  mkdirSync(dirname(twinInventory), { recursive: true });
  writeFileSync(twinInventory, stringify(doc, { aliasDuplicateObjects: false }));

  const first = spawnCli('provision', provisionArgs(lab(), ...onlyWithoutBenchmark()));
  const firstDone = finished(first, 280_000);
  // Whatever is asserted, the first run ends before the next test uses the node.
  t.teardown(async () => {
    if (first.exitCode === null) process.kill(first.pid!, 'SIGCONT');
    await firstDone;
  });
  const holder = await waitFor('the first run to hold the node lock', async () => {
    const text = await onNode(lab(), ['sh', '-c', 'cat /var/lib/sriov-lxc/node.lock/holder 2>/dev/null || true']);
    return text.includes(`"pid":${first.pid}`) ? text : undefined;
  }, 60_000);
  process.kill(first.pid!, 'SIGSTOP');
  let second;
  try {
    second = await runCli('provision', ['--inventory', twinInventory, '--host', 'twin', '--state-dir', join(lab().dir, 'state-twin'), '--json', '--only', 'bios-verify']);
  } finally {
    process.kill(first.pid!, 'SIGCONT');
  }
  t.is(second.code, 3, describeRun(second));
  const report = jsonOf<ProvisionReport>(second).hosts.find((h) => h.host === 'twin');
  t.is(report?.status, 'locked');
  t.regex(report?.error?.message ?? '', new RegExp(`^twin is being worked on by pid ${first.pid} on .* \\(run [0-9A-Za-z-]+, machine [0-9a-f]{12}, since `), holder);
  const done = await firstDone;
  t.is(done.code, 0, `the first run finishes: ${describeRun(done)}`);
  t.is(await onNode(lab(), ['sh', '-c', 'test -e /var/lib/sriov-lxc/node.lock && echo held || echo free']), 'free\n', 'released at the end of the run');
});

test.serial('lab: changed host key: refused with both fingerprints (pinned on first use, and strict known_hosts); --accept-new-host-key trusts the new key', async (t) => {
  t.timeout(240_000);
  // Keys pinned on first use into the state dir: the lab's inventory without its knownHosts file.
  const tofu = derivedInventory(lab(), 'tofu', (_host, defaults) => {
    delete defaults.knownHosts;
  });
  const stateDir = join(lab().dir, 'state-tofu');
  const args = (...extra: string[]) => ['--inventory', tofu, '--host', NODE, '--state-dir', stateDir, '--json', '--only', 'bios-verify', ...extra];
  const first = await runCli('provision', args());
  t.is(first.code, 0, describeRun(first));
  const pinned = readFileSync(join(stateDir, 'known_hosts'), 'utf8');
  const oldFp = await hostKeyFingerprint();

  await newHostKey();
  const newFp = await hostKeyFingerprint();
  t.not(newFp, oldFp);

  const refused = await runCli('provision', args());
  t.is(refused.code, 1, describeRun(refused));
  const error = hostReport(refused).error;
  t.regex(error?.message ?? '', /host key of .* has changed/);
  t.true(error?.message.includes(oldFp), `the pinned fingerprint ${oldFp} is named: ${error?.message}`);
  t.true(error?.message.includes(newFp), `the offered fingerprint ${newFp} is named: ${error?.message}`);
  t.regex(error?.hint ?? '', /--accept-new-host-key/);
  t.is(readFileSync(join(stateDir, 'known_hosts'), 'utf8'), pinned, 'the pin is unchanged');

  // The lab's own inventory verifies strictly against its known_hosts file: refused too, and the
  // hint says how to update that file (the flag does not rewrite a file the operator owns).
  const strict = await runCli('provision', provisionArgs(lab(), '--only', 'bios-verify'));
  t.is(strict.code, 1, describeRun(strict));
  const strictError = hostReport(strict).error;
  t.true(strictError?.message.includes(oldFp) && strictError.message.includes(newFp), strictError?.message);
  t.regex(strictError?.hint ?? '', /ssh-keygen -R/);

  const accepted = await runCli('provision', args('--accept-new-host-key'));
  t.is(accepted.code, 0, describeRun(accepted));
  t.regex(accepted.stderr, new RegExp(`warning: .*${newFp.replace(/[+/]/g, '\\$&')}.*accepted \\(--accept-new-host-key\\)`));
  t.not(readFileSync(join(stateDir, 'known_hosts'), 'utf8'), pinned, 'the pin was replaced');

  const again = await runCli('provision', args());
  t.is(again.code, 0, `the new key is trusted without the flag from now on: ${describeRun(again)}`);
});
