// Issue 21: on a lab node, an operator's busybox container named like the inventory's, with data in
// its rootfs, was reconfigured for the VF by provisioning (exit 0) and destroyed by teardown, data
// and all. Now provisioning refuses it, naming it, and teardown leaves it, read on the node itself.
import test from 'ava';
import { describeRun, hostReport, onNode, provisionArgs, runCli, stageOf, useLab } from '../helpers/lab-fixture.ts';
import { keptOf, teardownArgs } from '../helpers/teardown-tests.ts';

const lab = useLab(test, 'debian12');
const DATA = '/root/operator-data.txt';

test.serial("lab: an operator's container of the inventory's name: provisioning refuses it, teardown leaves it, its rootfs untouched", async (t) => {
  t.timeout(600_000);
  const name = lab().plan.containers[0]!.name;
  const rootfs = `/var/lib/lxc/${name}/rootfs`;
  await onNode(lab(), ['lxc-create', '-n', name, '-t', 'busybox']);
  await onNode(lab(), ['sh', '-c', 'printf "the operator\'s data\\n" > "$1"', 'sh', `${rootfs}${DATA}`]);
  const fingerprint = () => onNode(lab(), ['sh', '-c', 'sha256sum "$1/config" "$1/rootfs$2"; lxc-ls -1', 'sh', `/var/lib/lxc/${name}`, DATA]);
  const before = await fingerprint();

  const refused = await runCli('provision', provisionArgs(lab(), '--only', 'container-create'));
  t.is(refused.code, 1, describeRun(refused));
  const stage = stageOf(hostReport(refused), 'container-create');
  t.is(stage.status, 'failed');
  t.regex(stage.error?.message ?? '', new RegExp(`^container ${name} already exists on node1 and sriov-lxc did not create it`));
  t.regex(stage.error?.hint ?? '', /--adopt/);
  t.is(await fingerprint(), before, 'the config and the rootfs as the operator left them');

  const teardown = await runCli('teardown', teardownArgs(lab(), '--only', 'teardown-containers,teardown-verify'));
  t.is(teardown.code, 0, describeRun(teardown));
  t.true(keptOf(teardown.stdout).some((k) => k.path === `container ${name}` && /not created by sriov-lxc/.test(k.why)), teardown.stdout);
  t.is(await fingerprint(), before, 'teardown left the container, its config and its rootfs');
  t.is((await onNode(lab(), ['cat', `${rootfs}${DATA}`])), "the operator's data\n");
});
