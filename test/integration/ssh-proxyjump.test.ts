// Issue 17 (4) for real: ProxyJump from ~/.ssh/config goes through the jump host (two test sshds
// on loopback: the jump's log shows our login, the node is reached through it), and the jump
// host's key is verified like the node's. Needs root (test/helpers/sshd.ts).
import test, { type ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openHost } from '../../hosts/connect.ts';
import { HostKeyError, TransportError } from '../../core/errors.ts';
import { parseInventory } from '../../inventory/load.ts';
import { startSshd, type Sshd } from '../helpers/sshd.ts';

function homeWith(t: ExecutionContext, jump: Sshd, node: Sshd, extra = ''): string {
  const home = mkdtempSync('/tmp/sriov-lxc-jump-');
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  mkdirSync(join(home, '.ssh'));
  writeFileSync(join(home, '.ssh', 'config'), [
    'Host jump',
    '    HostName 127.0.0.1',
    `    Port ${jump.port}`,
    '    User root',
    `    IdentityFile ${jump.clientKeyPath}`,
    'Host node',
    '    HostName 127.0.0.1',
    `    Port ${node.port}`,
    '    User root',
    '    ProxyJump jump',
    `    IdentityFile ${node.clientKeyPath}`,
    extra,
    '',
  ].join('\n'));
  return home;
}

const plan = () => parseInventory('hosts:\n  node1: { address: node, sshConfigHost: node, pfs: [{ name: eth0, vfs: 1 }] }\n', '/tmp/inventory.yaml').hosts[0]!;
const accepted = /Accepted publickey for root from 127\.0\.0\.1/;

test('lab: ProxyJump reaches the node through the jump host; both host keys are pinned', async (t) => {
  const [jump, node] = await Promise.all([startSshd(t), startSshd(t)]);
  const home = homeWith(t, jump, node);
  const stateDir = join(home, 'state');
  const host = openHost(plan(), { local: false, stateDir, home });
  t.teardown(() => host.close());
  t.is((await host.run(['echo', 'through'])).stdout, 'through\n');
  t.regex(jump.log(), accepted, 'the jump host saw our login');
  t.regex(node.log(), accepted, 'the node saw our login');
  const pins = readFileSync(join(stateDir, 'known_hosts'), 'utf8');
  t.true(pins.includes(`[127.0.0.1]:${jump.port} `), 'the jump host key is pinned');
  t.true(pins.includes(`[127.0.0.1]:${node.port} `), 'the node key is pinned');
});

test('lab: with StrictHostKeyChecking yes an unknown jump host key is refused before the node is reached', async (t) => {
  const [jump, node] = await Promise.all([startSshd(t), startSshd(t)]);
  const home = homeWith(t, jump, node);
  const known = join(home, 'known_hosts.lab');
  writeFileSync(known, `${node.knownHostsLine}\n`);
  writeFileSync(join(home, '.ssh', 'config'), `${readFileSync(join(home, '.ssh', 'config'), 'utf8')}Host *\n    StrictHostKeyChecking yes\n    UserKnownHostsFile ${known}\n    GlobalKnownHostsFile /dev/null\n`);
  const host = openHost(plan(), { local: false, stateDir: join(home, 'state'), home, retry: { retries: 0 } });
  t.teardown(() => host.close());
  const error = await t.throwsAsync(host.run(['true']), { instanceOf: HostKeyError });
  t.regex(error!.message, new RegExp(`the host key of the jump host of node1 \\(\\[127\\.0\\.0\\.1\\]:${jump.port}\\) is not in ${known}`));
  t.notRegex(node.log(), accepted, 'the node was not reached');
});

// Issue 24: the boot-id probe (the run's first contact, every poll after a reboot) opened a bare
// TCP connection straight to HostName:Port, never through the jump host. Here the node's name
// resolves only on the jump host (its /etc/hosts), as for a node on a management network.
test('lab: a node reachable only through the jump host: first contact, the boot id and the polls after a reboot go through it', async (t) => {
  const node = await startSshd(t);
  const jump = await startSshd(t, { extraHosts: '127.0.0.1 node-behind-jump.mgmt' });
  const home = homeWith(t, jump, node);
  writeFileSync(join(home, '.ssh', 'config'), readFileSync(join(home, '.ssh', 'config'), 'utf8').replace(/Host node\n    HostName 127\.0\.0\.1/, 'Host node\n    HostName node-behind-jump.mgmt'));
  const host = openHost(plan(), { local: false, stateDir: join(home, 'state'), home, retry: { retries: 0 } });
  t.teardown(() => host.close());
  t.regex(await host.bootId(), /^[0-9a-f-]{36}$/, 'the first contact is the boot id, through the jump');
  t.regex(node.log(), accepted);
  // A reboot: the node's sshd goes away and comes back; every poll is a fresh connection through the jump.
  await host.disconnect();
  await node.stop();
  // However fast the engine polls (0.1 s once a node is down), the bastion sees a login at most
  // every 0.5 s: four probes from here start at least 0.5 s apart, so the fourth ends at least 1.5 s
  // after the first began (timed from before the first: a probe's own duration counts in its gap).
  const polling = Date.now();
  const down = await t.throwsAsync(host.bootId(), { instanceOf: TransportError }, 'a node that is down is retried, not "cannot resolve"');
  t.regex(down!.message, /through the jump host root@127\.0\.0\.1:\d+/);
  for (let i = 0; i < 3; i++) await t.throwsAsync(host.bootId(), { instanceOf: TransportError });
  t.true(Date.now() - polling >= 1500, `4 probes through the jump in ${Date.now() - polling} ms`);
  await node.start();
  t.regex(await host.bootId(), /^[0-9a-f-]{36}$/);
});

// Issue 24: HostKeyAlgorithms (and the other algorithm lists) were dropped silently.
test('lab: HostKeyAlgorithms from ssh_config is honoured: a node with an Ed25519 key only is refused for rsa-sha2-512 as ssh refuses it', async (t) => {
  const node = await startSshd(t);
  const home = mkdtempSync('/tmp/sriov-lxc-hka-');
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  mkdirSync(join(home, '.ssh'));
  const config = (algorithms: string) => `Host node\n    HostName 127.0.0.1\n    Port ${node.port}\n    User root\n    IdentityFile ${node.clientKeyPath}\n    HostKeyAlgorithms ${algorithms}\n`;
  writeFileSync(join(home, '.ssh', 'config'), config('rsa-sha2-512'));
  const refused = openHost(plan(), { local: false, stateDir: join(home, 'state'), home, retry: { retries: 0 } });
  t.teardown(() => refused.close());
  const error = await t.throwsAsync(refused.run(['true']));
  t.regex(error!.message, /cannot connect to node1 .*(no matching|Handshake failed)/i);
  writeFileSync(join(home, '.ssh', 'config'), config('ssh-ed25519'));
  const accepted = openHost(plan(), { local: false, stateDir: join(home, 'state'), home });
  t.teardown(() => accepted.close());
  t.is((await accepted.run(['echo', 'ok'])).stdout, 'ok\n');
});

// Issue 24: --dry-run pinned both host keys, creating the state directory.
test('lab: a dry run through the jump host pins neither key and creates no state directory; it says what would be pinned', async (t) => {
  const [jump, node] = await Promise.all([startSshd(t), startSshd(t)]);
  const home = homeWith(t, jump, node);
  const stateDir = join(home, 'state');
  const warnings: string[] = [];
  const host = openHost(plan(), { local: false, stateDir, home, dryRun: true, onWarning: (w) => warnings.push(w) });
  t.teardown(() => host.close());
  t.is((await host.run(['echo', 'dry'])).stdout, 'dry\n');
  t.false(existsSync(stateDir));
  t.is(warnings.length, 2);
  t.regex(warnings.join('\n'), new RegExp(`the host key of the jump host of node1 \\(\\[127\\.0\\.0\\.1\\]:${jump.port}\\) is not known yet: SHA256:\\S+ \\(ssh-ed25519\\) would be pinned`));
  t.regex(warnings.join('\n'), new RegExp(`the host key of node1 \\(\\[127\\.0\\.0\\.1\\]:${node.port}\\) is not known yet: ${node.hostKeyFingerprint.replace(/[+/]/g, '.')} \\(ssh-ed25519\\) would be pinned`));
});

// Issue 24: a chain of jump hosts as ssh follows it (`ProxyJump j1,root@j2:PORT`): three real
// sshds on loopback; each name resolves only on the hop before it (node-behind.mgmt on j2,
// jump2-behind.mgmt on j1), so neither the node nor j2 can be reached but through the chain.
// Real ssh(1) on the same file is the oracle that the route exists and works.
async function chain(t: ExecutionContext, extra = ''): Promise<{ jump1: Sshd; jump2: Sshd; node: Sshd; home: string; config: string }> {
  const node = await startSshd(t);
  const jump2 = await startSshd(t, { extraHosts: '127.0.0.1 node-behind.mgmt' });
  const jump1 = await startSshd(t, { extraHosts: '127.0.0.1 jump2-behind.mgmt' });
  const home = mkdtempSync('/tmp/sriov-lxc-chain-');
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  mkdirSync(join(home, '.ssh'));
  const config = join(home, '.ssh', 'config');
  writeFileSync(config, [
    extra,
    'Host node',
    '    HostName node-behind.mgmt',
    `    Port ${node.port}`,
    '    User root',
    `    IdentityFile ${node.clientKeyPath}`,
    `    ProxyJump j1,root@j2:${jump2.port}`,
    'Host j1',
    '    HostName 127.0.0.1',
    `    Port ${jump1.port}`,
    '    User root',
    `    IdentityFile ${jump1.clientKeyPath}`,
    'Host j2',
    '    HostName jump2-behind.mgmt',
    `    IdentityFile ${jump2.clientKeyPath}`,
    'Host *',
    '    StrictHostKeyChecking accept-new',
    `    UserKnownHostsFile ${join(home, 'known_hosts.ssh')}`,
    '',
  ].join('\n'));
  return { jump1, jump2, node, home, config };
}

test('lab: ProxyJump j1,root@j2:PORT: a node reachable only through two jump hosts; every hop its own block and key, every host key pinned; first contact, the boot id and the polls after a reboot go through the chain', async (t) => {
  const { jump1, jump2, node, home, config } = await chain(t);
  t.throws(() => execFileSync('ssh', ['-F', config, '-o', 'BatchMode=yes', '-o', 'ProxyJump=none', 'node', 'true'], { stdio: 'ignore' }), undefined, 'not reachable directly');

  const stateDir = join(home, 'state');
  const host = openHost(plan(), { local: false, stateDir, home, retry: { retries: 0 } });
  t.teardown(() => host.close());
  const logins = [jump1, jump2, node].map((s) => s.log().match(new RegExp(accepted, 'g'))?.length ?? 0);
  t.regex(await host.bootId(), /^[0-9a-f-]{36}$/, 'the first contact is the boot id, through both jumps');
  t.deepEqual([jump1, jump2, node].map((s, i) => (s.log().match(new RegExp(accepted, 'g'))?.length ?? 0) - logins[i]!), [1, 1, 1], 'one login on each hop, with its own key');
  t.is((await host.run(['echo', 'through'])).stdout, 'through\n');
  const pins = readFileSync(join(stateDir, 'known_hosts'), 'utf8');
  t.true(pins.includes(`[127.0.0.1]:${jump1.port} `), 'j1 pinned');
  t.true(pins.includes(`[jump2-behind.mgmt]:${jump2.port} `), 'j2 pinned under the name it was reached by');
  t.true(pins.includes(`[node-behind.mgmt]:${node.port} `), 'the node pinned');

  // A reboot: the node's sshd goes away and comes back; every poll is a fresh connection through both jumps.
  await host.disconnect();
  await node.stop();
  const down = await t.throwsAsync(host.bootId(), { instanceOf: TransportError }, 'a node that is down is retried, not "cannot resolve"');
  t.regex(down!.message, new RegExp(`cannot reach node1 \\(root@node-behind\\.mgmt:${node.port}\\) through the jump host root@jump2-behind\\.mgmt:${jump2.port}`));
  await node.start();
  t.regex(await host.bootId(), /^[0-9a-f-]{36}$/);
  // The oracle: ssh(1) itself goes the same way on this file.
  t.is(execFileSync('ssh', ['-F', config, '-o', 'BatchMode=yes', 'node', 'echo', 'ssh'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }), 'ssh\n');
});

test('lab: the second jump host\'s own StrictHostKeyChecking yes refuses its unknown key before the node is reached', async (t) => {
  const strict = '/nonexistent';
  const { jump1, node, home } = await chain(t, `Host j2\n    StrictHostKeyChecking yes\n    UserKnownHostsFile ${strict}/known_hosts\n    GlobalKnownHostsFile /dev/null\n`);
  const host = openHost(plan(), { local: false, stateDir: join(home, 'state'), home, retry: { retries: 0 } });
  t.teardown(() => host.close());
  const error = await t.throwsAsync(host.run(['true']), { instanceOf: HostKeyError });
  t.regex(error!.message, /the host key of jump host 2 of 2 of node1 \(\[jump2-behind\.mgmt\]:\d+\) is not in \/nonexistent\/known_hosts/);
  t.regex(jump1.log(), accepted, 'the first hop was reached');
  t.notRegex(node.log(), accepted, 'the node was not reached');
});
