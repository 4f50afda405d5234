// `down` leaves nothing behind: no namespace, link, mount (the nodes' tmpfs too), process, cgroup,
// slot or file, even when the lab's supervisor died (a crashed lab), and `up` is idempotent.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { labDown, labUp, nodePower, labInfo, suiteLabDir } from '../../lab/index.ts';
import { readState } from '../../lab/state.ts';
import { TEST_BOOT_DELAY_MS, sshOk } from './lab-helpers.ts';

function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(text) && !/^\S*ava/.test(cmdline)) found.push(`${pid} ${cmdline}`);
    } catch {
      // gone
    }
  }
  return found;
}

test('lab: up is idempotent, and down leaves no namespace, link, mount, process, cgroup or file', async (t) => {
  const parent = suiteLabDir('down');
  const dir = join(parent, 'lab');
  t.teardown(async () => {
    await labDown(dir);
    rmSync(parent, { recursive: true, force: true });
  });
  const info = await labUp({ dir, nodes: 2, flavour: 'debian12', bootDelayMs: TEST_BOOT_DELAY_MS });
  const state = readState(dir);
  if (!state) throw new Error('no state');
  const prefix = `sl${state.slot}-`;
  const again = await labUp({ dir, nodes: 2, flavour: 'debian12' });
  t.deepEqual(again, info);
  t.is(readState(dir)?.supervisor?.pid, state.supervisor?.pid, 'the second up reuses the running lab');
  await t.throwsAsync(labUp({ dir, nodes: 3, flavour: 'debian12' }), { message: /runs 2 debian12 bios node\(s\) with 82599, not 3 debian12 bios with 82599: run `lab\.ts down/ });

  // The nodes' files in the lab's tmpfs; /srv (the benchmark's fio directory) on this machine's disk.
  const fsType = (path: string): string => execFileSync('findmnt', ['-n', '-o', 'FSTYPE', '--target', path], { encoding: 'utf8' }).trim();
  t.is(fsType(join(dir, 'nodes', 'node1', 'disk')), 'tmpfs');
  t.is(fsType(join(dir, 'block', 'node1', 'srv')), fsType(parent));
  t.regex(await sshOk(info, 'node1', 'awk \'$2 == "/srv"\' /proc/mounts'), new RegExp(`^node-srv /srv overlay \\S*upperdir=${dir}/block/node1/srv,`, 'm'));

  // something running in each node: a container, VFs
  await sshOk(info, 'node1', 'echo 1 > /sys/class/net/enp4s0f0/device/sriov_numvfs; lxc-create -n c1 -t debian >/dev/null; echo "lxc.net.0.type = empty" >> /var/lib/lxc/c1/config; lxc-start -n c1 -d');
  await sshOk(info, 'node2', 'sleep 600 >/dev/null 2>&1 &');
  const holders = info.nodes.map((n) => nodePower(dir, n.name)?.holder?.pid);
  t.true(holders.every((p) => p !== undefined));

  // a crashed lab: the supervisor is gone, the nodes still run
  if (state.supervisor) process.kill(state.supervisor.pid, 'SIGKILL');
  await labDown(dir);

  t.false(existsSync(dir));
  const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  t.false(netns.split('\n').some((l) => l.startsWith(prefix)), netns);
  t.is(execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(`${prefix}ctl`)).length, 0);
  t.false(readFileSync('/proc/mounts', 'utf8').includes(dir));
  t.deepEqual(processesMentioning(dir), []);
  for (const pid of holders) t.false(existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('unshare'));
  const cgroups = execFileSync('find', ['/sys/fs/cgroup', '-maxdepth', '4', '-name', `sriov-lab-${state.slot}`], { encoding: 'utf8' });
  t.is(cgroups.trim(), '');
  t.false(existsSync(`/run/sriov-lxc-lab/slot-${state.slot}`));
  t.throws(() => labInfo(dir), { message: /no lab in/ });
});
