// `lab exec` during a node's boot: it enters the node only once the node's mounts are in place,
// so it never runs on this machine's /etc (in the first tens of milliseconds of each boot, PID 1
// runs before its overlays exist).
import test from 'ava';
import { readFileSync } from 'node:fs';
import { labExec, labReboot, nodePower, waitForNode } from '../../lab/index.ts';
import { startLab } from './lab-helpers.ts';

test('lab: lab exec during a boot waits for the node\'s mounts and never answers from this machine\'s /etc', async (t) => {
  const { info, stop } = await startLab('exec-boot', { nodes: 1, flavour: 'debian12' });
  t.teardown(stop);
  const host = readFileSync('/etc/machine-id', 'utf8');
  const answers: string[] = [];
  for (let boot = 0; boot < 3; boot++) {
    const before = nodePower(info.dir, 'node1')?.bootId;
    await labReboot(info.dir, 'node1', { wait: false });
    // As fast as it can, from the reset until the node is up again.
    const up = waitForNode(info.dir, 'node1', before ? { notBootId: before } : {});
    let done = false;
    void up.then(() => (done = true));
    while (!done) {
      const r = await labExec(info.dir, 'node1', ['cat', '/etc/machine-id']).catch((e: Error) => ({ code: -1, stdout: '', stderr: e.message }));
      if (r.code === 0) answers.push(r.stdout);
    }
  }
  t.true(answers.length > 0, 'lab exec answered during the boots');
  t.false(answers.includes(host), "an answer came from this machine's /etc");
});
