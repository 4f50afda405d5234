// A second SIGINT stops the run at once (README "Exit codes": 130). The first one asks the run to
// finish the stage under way; a run stuck where no stage ends soon (here: a node whose sshd accepts
// TCP and never answers, like a hung sshd) must still stop when the operator presses Ctrl-C again.
// The node is this test's own silent server on loopback; nothing is written but a temp dir.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished, spawnCli } from '../../helpers/lab-fixture.ts';

test('a second SIGINT stops at once with 130; the first only asks the run to finish the stage', async (t) => {
  t.timeout(60_000);
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const dir = mkdtempSync(join(tmpdir(), 'sriov-lxc-signal-'));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'id_node')]);
  const inventory = join(dir, 'inventory.yaml');
  writeFileSync(inventory, [
    'hosts:',
    '  node1:',
    '    address: 127.0.0.1',
    `    port: ${(server.address() as AddressInfo).port}`,
    `    key: ${join(dir, 'id_node')}`,
    '    pfs:',
    '      - name: enp4s0f0',
    '        vfs: 2',
    '',
  ].join('\n'));
  const child = spawnCli('provision', ['--inventory', inventory, '--state-dir', join(dir, 'state'), '--renderer', 'simple']);
  const result = finished(child, 50_000);
  // Wait until the run is at the node (its TCP connection is open), then the first signal.
  for (let i = 0; i < 300 && sockets.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  t.true(sockets.length > 0, 'the run reached the node');
  child.kill('SIGINT');
  await new Promise((r) => setTimeout(r, 1500));
  t.is(child.exitCode, null, 'after one SIGINT the run is still finishing what it does');
  const second = Date.now();
  child.kill('SIGINT');
  const r = await result;
  t.is(r.code, 130, r.stderr);
  t.regex(r.stderr, /SIGINT: finishing the stage under way, then stopping \(again to stop at once\)/);
  // At once: long before the handshake's own 15 s timeout would have ended the run.
  t.true(Date.now() - second < 5000, `stopped ${Date.now() - second} ms after the second SIGINT`);
});
