// npm's postinstall: ssh2's native cipher binding (sshcrypto.node), usable by the Node that runs
// sriov-lxc, or none. ssh2 builds it at install with whatever `node` npm ran under, two ways wrong:
// - on a machine whose own Node is older than the project's (devDependency `node`, 24), for the
//   wrong ABI: it does not load, and ssh2 falls back to its JavaScript ciphers (correct, but
//   ~1.6 ms of controller CPU per command instead of ~1.0: README "Controller CPU per added node");
// - under a stock Node 24.19 or later, against headers whose ObjectWrap aborts the process when
//   the GC frees a cipher (hosts/ssh2-binding.ts, nodejs/node#65446): a run killed at random.
// Each binding is tried in a child process (load, make ciphers, collect them); one that is not
// usable is rebuilt against the runtime's headers, or 24.18.1's on a 24.x from 24.19 on, and one
// that still aborts is removed. node-gyp needs the headers (npm's config may point it at the
// system Node's: Debian's npm has `nodedir = "/usr"`); it downloads them from nodejs.org, which
// an install that only reaches the npm registry cannot; the registry's `node-<platform>-<arch>`
// package of that version carries them (include/node). Never fails the install: when the build
// cannot be done it says why, and the JavaScript ciphers stay. In the published package it runs
// compiled, from dist/scripts (package.json's postinstall).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { bindingHeadersVersion, isUnsafe, probeBinding, ssh2BindingPath } from '../hosts/ssh2-binding.ts';

function run(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): { ok: boolean; output: string } {
  const result = spawnSync(argv[0]!, argv.slice(1), { cwd, env, encoding: 'utf8' });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}` };
}

function main(): void {
  const binding = ssh2BindingPath();
  if (binding === undefined) return; // ssh2 not installed (yet): nothing to build
  const found = probeBinding(binding);
  if (found.probe === 'usable') return;
  const say = (line: string): void => console.log(`sriov-lxc: ${line}`);
  const problem = {
    absent: 'is not built',
    unloadable: `does not load under Node ${process.version}`,
    // Tried in a child process: it aborted when the GC freed its cipher objects (hosts/ssh2-binding.ts).
    crashes: `aborts Node ${process.version} when the garbage collector frees a cipher (built against headers with ObjectWrap's cleanup hooks, nodejs/node#65446)`,
    unproven: `was not seen to survive the garbage collector freeing a cipher (${found.detail})`,
  }[found.probe];
  // A binding that aborts is never left in place: without it ssh2 uses its JavaScript ciphers.
  const fallback = (): string => {
    if (isUnsafe(found.probe)) {
      rmSync(binding, { force: true });
      return `removed it: ssh2 uses its JavaScript ciphers (slower)`;
    }
    return 'ssh2 uses its JavaScript ciphers (slower)';
  };
  const nodeGyp = process.env.npm_config_node_gyp;
  if (!nodeGyp) {
    say(`ssh2's cipher binding ${problem}, and npm named no node-gyp to rebuild it (run \`npm run postinstall\` to try again): ${fallback()}`);
    return;
  }
  // Without a compiler there is nothing to build with: no 50 MB of headers fetched for nothing.
  if (spawnSync('sh', ['-c', 'command -v c++ && command -v make && command -v python3'], { stdio: 'ignore' }).status !== 0) {
    say(`ssh2's cipher binding ${problem}, and rebuilding it needs a C++ compiler, make and python3 (apt-get install g++ make python3, then npm run postinstall): ${fallback()}`);
    return;
  }
  // build/Release/sshcrypto.node under ssh2's lib/protocol/crypto, where its binding.gyp is.
  const cryptoDir = dirname(dirname(dirname(binding)));
  const headers = bindingHeadersVersion(process.versions.node);
  const platformPackage = `node-${process.platform}-${process.arch}@${headers}`;
  const work = mkdtempSync(join(tmpdir(), 'sriov-lxc-node-headers-'));
  try {
    const packed = run(['npm', 'pack', '--silent', '--pack-destination', work, platformPackage], work);
    const tarball = packed.output.trim().split('\n').at(-1) ?? '';
    if (!packed.ok || !tarball.endsWith('.tgz')) {
      say(`ssh2's cipher binding ${problem}; the headers to rebuild it (npm package ${platformPackage}) could not be fetched: ${fallback()}\n  ${packed.output.trim().split('\n').slice(-3).join('\n  ')}`);
      return;
    }
    const unpacked = run(['tar', '-xzf', join(work, tarball), '-C', work, 'package/include'], work);
    if (!unpacked.ok) {
      say(`ssh2's cipher binding ${problem}; could not unpack Node's headers from ${platformPackage} (${unpacked.output.trim()}): ${fallback()}`);
      return;
    }
    // The arguments of ssh2's own install.js, with the headers given instead of downloaded. npm's
    // own config may name a nodedir (Debian's npm: `nodedir = "/usr"`, the system Node's headers,
    // which is how ssh2's install built for the wrong ABI): node-gyp takes it from the environment
    // over --nodedir, so the environment names ours.
    const openssl = /^\d+/.exec(process.versions.openssl)?.[0] ?? '3';
    const nodedir = join(work, 'package');
    const built = run(
      [process.execPath, nodeGyp, 'rebuild', `--target=v${headers}`, `--real_openssl_major=${openssl}`, `--nodedir=${nodedir}`],
      cryptoDir,
      { ...process.env, npm_config_nodedir: nodedir },
    );
    const rebuilt = probeBinding(binding);
    const against = headers === process.versions.node ? '' : ` (against ${headers}'s headers, nodejs/node#65446)`;
    if (built.ok && rebuilt.probe === 'usable') {
      say(`rebuilt ssh2's cipher binding for Node ${process.version}${against}`);
    } else if (isUnsafe(rebuilt.probe)) {
      rmSync(binding, { force: true });
      say(`rebuilt ssh2's cipher binding for Node ${process.version}${against}, and it ${rebuilt.probe === 'crashes' ? 'aborts when the garbage collector frees a cipher' : 'was not seen to survive the garbage collector'}: removed it, ssh2 uses its JavaScript ciphers (slower)`);
    } else {
      say(`could not rebuild ssh2's cipher binding for Node ${process.version}${against}: ssh2 uses its JavaScript ciphers (slower)\n  ${built.output.trim().split('\n').slice(-4).join('\n  ')}`);
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
