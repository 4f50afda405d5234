// Issue 17 (10) for real: an encrypted key file (ssh-keygen -N) held by a real ssh-agent (ssh-add)
// authenticates against the test sshd; before, ssh2 stopped at the key file and never asked the
// agent. Needs root (test/helpers/sshd.ts).
import test, { type ExecutionContext } from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pRetry from 'p-retry';
import { openHost } from '../../hosts/connect.ts';
import { parseInventory } from '../../inventory/load.ts';
import { startSshd } from '../helpers/sshd.ts';

async function agentHolding(t: ExecutionContext, key: string, dir: string, socket = join(dir, 'agent.sock')): Promise<string> {
  const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  t.teardown(() => {
    agent.kill();
  });
  await pRetry(() => (existsSync(socket) ? Promise.resolve() : Promise.reject(new Error('no agent socket yet'))), { retries: 20, minTimeout: 50, maxTimeout: 100 });
  const askpass = join(dir, 'askpass');
  writeFileSync(askpass, '#!/bin/sh\necho passphrase\n');
  chmodSync(askpass, 0o700);
  execFileSync('ssh-add', [key], { env: { ...process.env, SSH_AUTH_SOCK: socket, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' }, stdio: ['ignore', 'ignore', 'pipe'] });
  return socket;
}

test('lab: an encrypted key with agent: true authenticates through the agent', async (t) => {
  const sshd = await startSshd(t);
  const dir = mkdtempSync('/tmp/sriov-lxc-agent-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const key = join(dir, 'id_enc');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'passphrase', '-C', 'encrypted', '-f', key]);
  appendFileSync(join(sshd.dir, 'authorized_keys'), readFileSync(`${key}.pub`));
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${key}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
  const socket = await agentHolding(t, key, dir);

  const [plan] = parseInventory(`hosts:\n  node1: { address: 127.0.0.1, port: ${sshd.port}, key: ${key}, agent: true, pfs: [{ name: eth0, vfs: 1 }] }\n`, join(dir, 'inventory.yaml')).hosts;
  const host = openHost(plan!, { local: false, stateDir: join(dir, 'state'), home: dir, agentSocket: socket });
  t.teardown(() => host.close());
  t.is((await host.run(['echo', 'in'])).stdout, 'in\n');
  t.regex(sshd.log(), new RegExp(`Accepted publickey for root from 127\\.0\\.0\\.1 .*ED25519 ${fingerprint.replace(/[+/]/g, '\\$&')}`), 'the encrypted key, from the agent');
});

// Issue 24: IdentityAgent from ssh_config is the agent used, as ssh uses it (ssh.c at V_9_2_P1):
// a real ssh-agent on a non-default socket named with ~ and %-tokens, while SSH_AUTH_SOCK names
// another (absent) socket; `IdentityAgent none` with agent: true is refused naming the line.
test('lab: IdentityAgent ~/agents/%u-%p.sock: the agent on that socket authenticates, not the one of SSH_AUTH_SOCK; IdentityAgent none is refused for agent: true', async (t) => {
  const sshd = await startSshd(t);
  const dir = mkdtempSync('/tmp/sriov-lxc-agent-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const key = join(dir, 'id_enc');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'passphrase', '-C', 'encrypted', '-f', key]);
  appendFileSync(join(sshd.dir, 'authorized_keys'), readFileSync(`${key}.pub`));
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${key}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
  mkdirSync(join(dir, 'agents'), { mode: 0o700 });
  const socket = await agentHolding(t, key, dir, join(dir, 'agents', `root-${sshd.port}.sock`));
  mkdirSync(join(dir, '.ssh'));
  const config = (agent: string) => writeFileSync(join(dir, '.ssh', 'config'), `Host node\n    HostName 127.0.0.1\n    Port ${sshd.port}\n    User root\n    IdentityAgent ${agent}\n`);
  config('~/agents/%u-%p.sock');
  const [plan] = parseInventory(`hosts:\n  node1: { address: node, key: ${key}, agent: true, pfs: [{ name: eth0, vfs: 1 }] }\n`, join(dir, 'inventory.yaml')).hosts;
  const host = openHost(plan!, { local: false, stateDir: join(dir, 'state'), home: dir, agentSocket: join(dir, 'no-such-agent.sock') });
  t.teardown(() => host.close());
  t.is((await host.run(['echo', 'in'])).stdout, 'in\n');
  t.regex(sshd.log(), new RegExp(`Accepted publickey for root from 127\\.0\\.0\\.1 .*ED25519 ${fingerprint.replace(/[+/]/g, '\\$&')}`), 'the encrypted key, from the agent on the IdentityAgent socket');
  t.true(existsSync(socket));

  config('none');
  t.throws(() => openHost(plan!, { local: false, stateDir: join(dir, 'state'), home: dir, agentSocket: socket }), { message: new RegExp(`${dir}/\\.ssh/config line 5: IdentityAgent leaves node1 without an agent, but the inventory says agent: true`) });
  config(join(dir, 'agents', 'absent.sock'));
  t.throws(() => openHost(plan!, { local: false, stateDir: join(dir, 'state'), home: dir, agentSocket: socket }), { message: /line 5: IdentityAgent \S+absent\.sock for node1: no such socket/ });
});
