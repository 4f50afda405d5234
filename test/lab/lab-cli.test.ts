// lab/lab.ts as a person uses it: up prints the inventory path last, status, ssh, fault,
// reboot and down, and bad usage exits 2 with a message that names the problem.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labDown, suiteLabDir } from '../../lab/index.ts';

const CLI = fileURLToPath(new URL('../../lab/lab.ts', import.meta.url));

function lab(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('lab: the lab.ts command line: up, status, ssh, fault, reboot, down', async (t) => {
  const parent = suiteLabDir('cli');
  const dir = join(parent, 'lab');
  t.teardown(async () => {
    await labDown(dir);
    rmSync(parent, { recursive: true, force: true });
  });
  const up = lab('up', '--nodes', '1', '--flavour', 'debian12', '--boot-delay', '300', '--dir', dir);
  t.is(up.code, 0, up.stderr);
  t.is(up.stdout.trim().split('\n').at(-1), join(dir, 'inventory.yaml'));
  t.regex(lab('status', '--dir', dir).stdout, /^node1 +10\.213\.\d+\.11 +up +boot 1 /m);
  const ssh = lab('ssh', 'node1', '--dir', dir, '--', 'cat', '/etc/hostname');
  t.is(ssh.stdout, 'node1\n');
  t.is(lab('fault', 'node1', 'vt-disabled', 'on', '--dir', dir).code, 0);
  t.regex(lab('status', '--dir', dir).stdout, /faults: vt-disabled/);
  t.is(lab('exec', 'node1', '--dir', dir, '--', 'grep', '-c', 'vmx', '/proc/cpuinfo').stdout, '0\n');
  t.regex(lab('reboot', 'node1', '--dir', dir).stdout, /node1 up again in \d+ ms, boot_id [0-9a-f-]{36}/);
  t.is(lab('down', '--dir', dir).code, 0);
  t.false(existsSync(dir));
});

test('lab: lab.ts refuses bad usage with exit 2 and says why', (t) => {
  const r = lab('up', '--nodes', '0');
  t.is(r.code, 2);
  t.regex(r.stderr, /--nodes 0: a lab has 1 to 32 nodes/);
  t.regex(lab('fault', 'node1', 'melted', 'on').stderr, /unknown fault melted; faults: vt-disabled, /);
  t.regex(lab('help').stdout, /^Usage: npx zx lab\/lab\.ts COMMAND/);
});
