// On-node mode: the CLI run on the node itself (--local) stops for the reboot, and the boot unit
// sriov-lxc-resume.service finishes the run after boot, then removes itself.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import test from 'ava';
import { parse, stringify } from 'yaml';
import {
  NODE,
  NODE24_IN_NODE,
  REPO,
  WITHOUT_BENCHMARK,
  assertProvisioned,
  bootId,
  execOnNode,
  onNode,
  useLab,
  waitFor,
  type Lab,
  type ProvisionReport,
  type StatusReport,
} from '../helpers/lab-fixture.ts';

// Debian 12: --local needs a node whose glibc runs the tool's Node (official builds need 2.28);
// on CentOS 7 (2.17) the loader refuses Node before anything runs (lab-centos7-stack.test.ts).
const lab = useLab(test, 'debian12');
const UNIT = 'sriov-lxc-resume.service';
const UNIT_FILE = `/etc/systemd/system/${UNIT}`;
/** Where the test puts the inventory copy and the driver tarballs on the node. */
const ON_NODE = '/root/sriov-lxc-it';

async function putOnNode(l: Lab, path: string, data: Buffer): Promise<void> {
  await onNode(l, ['sh', '-c', 'mkdir -p -- "$(dirname -- "$1")" && base64 -d > "$1"', 'sh', path], data.toString('base64'));
}

/** The lab inventory as the node sees it: tarballs copied onto the node, no SSH settings. */
async function inventoryOnNode(l: Lab): Promise<string> {
  const doc = parse(readFileSync(l.info.inventoryPath, 'utf8')) as {
    defaults: Record<string, unknown>;
    hosts: Record<string, { driver: Record<string, unknown> }>;
  };
  delete doc.defaults.key;
  delete doc.defaults.knownHosts;
  const driver = doc.hosts[NODE]!.driver;
  for (const [field, local] of [['pf', l.info.drivers.pf], ['vf', l.info.drivers.vf]] as const) {
    const remote = `${ON_NODE}/${basename(local)}`;
    await putOnNode(l, remote, readFileSync(local));
    driver[field] = remote;
  }
  const path = `${ON_NODE}/inventory.yaml`;
  await putOnNode(l, path, Buffer.from(stringify(doc)));
  return path;
}

async function statusOnNode(l: Lab): Promise<Map<string, string> | undefined> {
  const r = await execOnNode(l, [NODE24_IN_NODE, `${REPO}/workflows/status.ts`, '--local', '--json']).catch(() => undefined);
  if (r?.code !== 0) return undefined;
  const host = (JSON.parse(r.stdout) as StatusReport).hosts.find((h) => h.host === NODE);
  return host && new Map(host.stages.map((s) => [s.id, s.status]));
}

test.serial('lab: --local stops for the reboot; the boot unit finishes the run after boot', async (t) => {
  t.timeout(120_000);
  const inventory = await inventoryOnNode(lab());
  const before = await bootId(lab());
  const run = await execOnNode(lab(), [
    NODE24_IN_NODE, `${REPO}/workflows/provision.ts`, '--local', '--host', NODE, '--inventory', inventory, '--json', '--only', WITHOUT_BENCHMARK.join(','),
  ]);
  t.is(run.code, 0, `${run.stdout}\n${run.stderr}`);
  const report = (JSON.parse(run.stdout) as ProvisionReport).hosts[0]!;
  t.is(report.status, 'rebooting');
  t.is(report.stages.find((s) => s.id === 'reboot')?.status, 'rebooting');
  t.false(report.stages.some((s) => ['vf-verify', 'container-create', 'mac-reset'].includes(s.id)), 'nothing after the reboot ran before it');

  const stages = await waitFor('status --local to show every selected stage done', async () => {
    const s = await statusOnNode(lab());
    return s && WITHOUT_BENCHMARK.every((id) => s.get(id) === 'done') ? s : undefined;
  }, 90_000, 1000);
  t.deepEqual(WITHOUT_BENCHMARK.map((id) => stages.get(id)), WITHOUT_BENCHMARK.map(() => 'done'));
  t.not(await bootId(lab()), before, 'the node rebooted');
  await assertProvisioned(t, lab());
});

test.serial('lab: --local: the resume unit is removed when the resumed run ends', async (t) => {
  t.timeout(240_000);
  await waitFor(`${UNIT_FILE} to be removed`, async () => ((await execOnNode(lab(), ['test', '-e', UNIT_FILE])).code !== 0 ? true : undefined), 220_000, 1000);
  const enabled = await execOnNode(lab(), ['systemctl', 'is-enabled', UNIT]);
  t.not(enabled.code, 0, `is-enabled: ${enabled.stdout}${enabled.stderr}`);
  t.notRegex(enabled.stdout, /^enabled/m);
  const wants = await onNode(lab(), ['sh', '-c', 'ls -A /etc/systemd/system/*.wants/ 2>/dev/null || true']);
  t.false(wants.includes(UNIT), `no wants link left:\n${wants}`);
});

// The unit's command line carries the selection (--only/--from) and --bench-profile of the
// command that started the run, so the resumed run does not run the benchmark.
test.serial('lab: --local: the resumed run keeps the --only selection (the benchmark is not run)', async (t) => {
  t.timeout(30_000);
  const stages = await statusOnNode(lab());
  t.is(stages?.get('benchmark'), 'pending');
});
