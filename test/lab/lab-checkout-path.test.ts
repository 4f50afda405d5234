// A newcomer's checkout wherever they put it: the repository cloned under /tmp (which every node
// covers with its own /tmp) and under a home-like directory with a space in its name, its
// node_modules installed there (Node's binary a copy inside the checkout, the rest linked), then a
// one-node lab brought up with the default lab directory (CHECKOUT/.lab) and taken down, as the
// README's commands do. The node-side scripts must read the lab's sources where the node sees them,
// and the node must see the checkout at its path (the --local tests run the tool there).
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shellQuote } from '../../hosts/quote.ts';
import { labDown, suiteLabDir } from '../../lab/index.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** A clone of this repository at `dest`, with the working tree's changes on top (what is tested is what is being developed). */
function checkout(dest: string): void {
  mkdirSync(dirname(dest), { recursive: true });
  git(dirname(dest), 'clone', '--quiet', '--no-hardlinks', REPO, dest);
  const files = git(REPO, 'ls-files', '-z', '--cached', '--others', '--exclude-standard').split('\0').filter(Boolean);
  for (const file of files) {
    const from = join(REPO, file);
    if (!existsSync(from) || lstatSync(from).isDirectory()) continue;
    cpSync(from, join(dest, file), { verbatimSymlinks: true, preserveTimestamps: true });
  }
  for (const gone of files.filter((f) => !existsSync(join(REPO, f)))) rmSync(join(dest, gone), { force: true });
}

/** node_modules inside the checkout: Node itself copied (hard links where the file system allows), .bin's relative links copied, the packages linked. */
function installModules(dest: string): void {
  const source = realpathSync(join(REPO, 'node_modules'));
  const target = join(dest, 'node_modules');
  mkdirSync(target);
  for (const entry of readdirSync(source)) {
    if (entry === 'node') {
      const r = spawnSync('cp', ['-al', join(source, entry), join(target, entry)]);
      if (r.status !== 0) cpSync(join(source, entry), join(target, entry), { recursive: true, verbatimSymlinks: true });
    } else if (entry === '.bin') {
      cpSync(join(source, entry), join(target, entry), { recursive: true, verbatimSymlinks: true });
    } else {
      symlinkSync(join(source, entry), join(target, entry));
    }
  }
}

/** Runs a program in the checkout with its node_modules/.bin first on PATH, as `npx` and npm scripts do. */
function inCheckout(checkoutDir: string, program: string, args: readonly string[]): Promise<{ code: number; output: string }> {
  const bin = join(checkoutDir, 'node_modules', '.bin');
  const child = spawn(program, args, {
    cwd: checkoutDir,
    env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((done) => child.on('close', (code) => done({ code: code ?? -1, output })));
}

const labCli = (checkoutDir: string, ...args: string[]) => inCheckout(checkoutDir, 'zx', ['lab/lab.ts', ...args]);

const WHERE = [
  { title: 'under /tmp', path: (root: string) => join(root, 'sriov-lxc') },
  { title: 'under a home directory with a space', path: (root: string) => join(root, 'home', 'new user', 'src', 'sriov-lxc') },
];

for (const where of WHERE) {
  test(`lab: a checkout ${where.title}: clone, node_modules, lab up and down with its default lab directory`, async (t) => {
    const root = suiteLabDir('checkout');
    const dest = where.path(root);
    const labDir = join(dest, '.lab');
    t.teardown(async () => {
      await labDown(labDir).catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    });
    checkout(dest);
    installModules(dest);
    t.true(realpathSync(join(dest, 'node_modules', '.bin', 'node')).startsWith(dest), 'the checkout runs its own Node binary');

    const up = await labCli(dest, 'up', '--nodes', '1', '--boot-delay', '300');
    t.is(up.code, 0, up.output);
    t.is(up.output.trim().split('\n').at(-1), join(labDir, 'inventory.yaml'));
    // What install.sh made from the lab's sources (nics.conf: the in-box drivers, the headers).
    const probe = await labCli(dest, 'exec', 'node1', '--', 'sh', '-c', 'd=/lib/modules/$(uname -r); ls $d/kernel/drivers/net/ethernet/intel; readlink $d/build');
    t.is(probe.code, 0, probe.output);
    t.regex(probe.output, /^i40e\niavf\nice\nixgbe\nixgbevf\n\/usr\/src\/linux-headers-\S+\n$/);
    // The node covers /tmp with its own: the checkout is there too, read-only, with its Node (the
    // --local tests run the tool from it on a node; a CentOS 7 node's glibc cannot run this Node).
    const tool = await labCli(dest, 'exec', 'node1', '--', 'sh', '-c', 'cat "$1/workflows/provision.ts" && test -x "$1/node_modules/node/bin/node"', 'sh', dest);
    t.is(tool.code, 0, tool.output);
    t.is(tool.output, readFileSync(join(dest, 'workflows', 'provision.ts'), 'utf8'));
    const write = await labCli(dest, 'exec', 'node1', '--', 'touch', join(dest, 'written-by-the-node'));
    t.not(write.code, 0, 'the node cannot write into the checkout');
    t.regex(write.output, /Read-only file system/);
    t.false(existsSync(join(dest, 'written-by-the-node')));

    const down = await labCli(dest, 'down');
    t.is(down.code, 0, down.output);
    t.false(existsSync(join(labDir, 'lab.json')));
  });
}

test('lab: a demo whose lab up fails leaves no namespace, process, mount or slot, and says the lab is down', async (t) => {
  const root = suiteLabDir('checkout');
  const dest = join(root, 'sriov-lxc');
  const labDir = join(dest, '.lab', 'demo');
  t.teardown(async () => {
    await labDown(labDir).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });
  checkout(dest);
  installModules(dest);
  // The fault: the node's installer fails once the lab's network and the peer's iperf3 are up;
  // first it notes the lab's slot (the registry file naming the lab directory).
  const proof = join(root, 'slot');
  const script = join(dest, 'lab', 'node', 'install.sh');
  const text = readFileSync(script, 'utf8').replace(
    /^set -eu$/m,
    `set -eu\ngrep -lxF "$(dirname "$(dirname "$LAB_NODE_DIR")")" /run/sriov-lxc-lab/slot-* > ${shellQuote(proof)}\nexit 7`,
  );
  writeFileSync(script, text);

  const demo = await inCheckout(dest, 'npm', ['run', 'demo']);
  t.not(demo.code, 0);
  t.regex(demo.output, /lab up failed: installing node1 failed \(exit 7\)/);
  t.regex(demo.output, /the lab is down: nothing it had started is left/);
  const slot = /slot-(\d+)$/.exec(readFileSync(proof, 'utf8').trim())?.[1];
  t.truthy(slot, 'the fault struck with the lab running');
  const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  t.false(new RegExp(`^sl${slot}-`, 'm').test(netns), netns);
  t.not(existsSync(`/run/sriov-lxc-lab/slot-${slot}`) ? readFileSync(`/run/sriov-lxc-lab/slot-${slot}`, 'utf8').trim() : '', labDir);
  const ours = readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dest);
      } catch {
        return false;
      }
    });
  t.deepEqual(ours, [], 'no process of that lab (supervisor, iperf3, node) is left');
  t.false(readFileSync('/proc/self/mountinfo', 'utf8').includes(dest));
  t.false(existsSync(labDir));
});
