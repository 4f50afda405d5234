// npm's postinstall: ssh2's native cipher binding (sshcrypto.node) built for the Node that runs
// sriov-lxc. ssh2 builds it at install with whatever `node` npm ran under: on a machine whose own
// Node is older than the project's (devDependency `node`, 24), that binding is for the wrong ABI,
// does not load, and ssh2 falls back to its JavaScript ciphers (correct, but ~1.6 ms of controller
// CPU per command instead of ~1.0: README "Controller CPU per added node"). node-gyp needs the
// runtime's headers (npm's config may point it at the system Node's: Debian's npm has
// `nodedir = "/usr"`); it downloads them from nodejs.org, which an install that only reaches the
// npm registry cannot; the registry's `node-<platform>-<arch>` package of the same version carries
// them (include/node). Never fails the install: when the build cannot be done it says why, and the
// JavaScript ciphers stay. Only in a checkout: the published package has no scripts/ (npm runs
// its postinstall there too, hence the test in package.json), and there ssh2 is built by the
// same npm and Node that install it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** Whether ssh2's binding loads in a fresh process of this Node (a loaded addon cannot be reloaded here). */
function bindingLoads(): boolean {
  const probe = "process.exit(require('ssh2/lib/protocol/crypto.js').bindingAvailable ? 0 : 1)";
  return spawnSync(process.execPath, ['-e', probe], { stdio: 'ignore' }).status === 0;
}

function run(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): { ok: boolean; output: string } {
  const result = spawnSync(argv[0]!, argv.slice(1), { cwd, env, encoding: 'utf8' });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}` };
}

function main(): void {
  let ssh2Dir: string;
  try {
    ssh2Dir = dirname(require.resolve('ssh2/package.json'));
  } catch {
    return; // not installed (yet): nothing to build
  }
  if (bindingLoads()) return;
  const say = (line: string): void => console.log(`sriov-lxc: ${line}`);
  const nodeGyp = process.env.npm_config_node_gyp;
  if (!nodeGyp) {
    say(`ssh2's cipher binding does not load under Node ${process.version}, and npm named no node-gyp to rebuild it: ssh2 uses its JavaScript ciphers (slower); run \`npm rebuild\` to try again`);
    return;
  }
  // Without a compiler there is nothing to build with: no 50 MB of headers fetched for nothing.
  if (spawnSync('sh', ['-c', 'command -v c++ && command -v make && command -v python3'], { stdio: 'ignore' }).status !== 0) {
    say(`ssh2's cipher binding does not load under Node ${process.version}, and rebuilding it needs a C++ compiler, make and python3 (apt-get install g++ make python3, then npm run postinstall): ssh2 uses its JavaScript ciphers (slower)`);
    return;
  }
  const platformPackage = `node-${process.platform}-${process.arch}@${process.versions.node}`;
  const work = mkdtempSync(join(tmpdir(), 'sriov-lxc-node-headers-'));
  try {
    const packed = run(['npm', 'pack', '--silent', '--pack-destination', work, platformPackage], work);
    const tarball = packed.output.trim().split('\n').at(-1) ?? '';
    if (!packed.ok || !tarball.endsWith('.tgz')) {
      say(`ssh2's cipher binding does not load under Node ${process.version}; the headers to rebuild it (npm package ${platformPackage}) could not be fetched: ssh2 uses its JavaScript ciphers (slower)\n  ${packed.output.trim().split('\n').slice(-3).join('\n  ')}`);
      return;
    }
    const unpacked = run(['tar', '-xzf', join(work, tarball), '-C', work, 'package/include'], work);
    if (!unpacked.ok) {
      say(`could not unpack Node's headers from ${platformPackage}: ${unpacked.output.trim()}; ssh2 uses its JavaScript ciphers (slower)`);
      return;
    }
    // The arguments of ssh2's own install.js, with the headers given instead of downloaded. npm's
    // own config may name a nodedir (Debian's npm: `nodedir = "/usr"`, the system Node's headers,
    // which is how ssh2's install built for the wrong ABI): node-gyp takes it from the environment
    // over --nodedir, so the environment names ours.
    const openssl = /^\d+/.exec(process.versions.openssl)?.[0] ?? '3';
    const nodedir = join(work, 'package');
    const built = run(
      [process.execPath, nodeGyp, 'rebuild', `--target=${process.version}`, `--real_openssl_major=${openssl}`, `--nodedir=${nodedir}`],
      join(ssh2Dir, 'lib/protocol/crypto'),
      { ...process.env, npm_config_nodedir: nodedir },
    );
    if (built.ok && bindingLoads()) {
      say(`rebuilt ssh2's cipher binding for Node ${process.version}`);
    } else {
      say(`could not rebuild ssh2's cipher binding for Node ${process.version}: ssh2 uses its JavaScript ciphers (slower)\n  ${built.output.trim().split('\n').slice(-4).join('\n  ')}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  main();
} catch (error) {
  // Whatever went wrong, the install goes on: the JavaScript ciphers work.
  console.log(`sriov-lxc: ssh2's cipher binding was not rebuilt: ${(error as Error).message}`);
}
