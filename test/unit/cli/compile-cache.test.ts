// Node's compile cache runs the code it finds for a matching module: it must never be a directory
// another user can plant entries in (issue 17, defect 1).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileCacheDir, trustedCompileCacheDir } from '../../../cli/compile-cache.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const uid = process.getuid!();
const OTHER_UID = 65534;

function tempBase(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sriov-lxc-cc-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('the cache lives under $XDG_CACHE_HOME, else /var/cache for root, else ~/.cache', (t) => {
  t.is(compileCacheDir({ XDG_CACHE_HOME: '/x/cache' }, 1000, '/home/u'), '/x/cache/sriov-lxc/node-compile-cache');
  t.is(compileCacheDir({ XDG_CACHE_HOME: 'relative' }, 0, '/root'), '/var/cache/sriov-lxc/node-compile-cache');
  t.is(compileCacheDir({}, 1000, '/home/u'), '/home/u/.cache/sriov-lxc/node-compile-cache');
});

test('the chosen directory is created 0700 and ours', (t) => {
  const base = tempBase(t);
  const choice = trustedCompileCacheDir({ XDG_CACHE_HOME: base }, uid, '/nonexistent');
  t.is(choice.dir, path.join(base, 'sriov-lxc', 'node-compile-cache'));
  for (const dir of [choice.dir!, path.dirname(choice.dir!)]) {
    const stat = fs.lstatSync(dir);
    t.true(stat.isDirectory());
    t.is(stat.uid, uid);
    t.is(stat.mode & 0o777, 0o700);
  }
});

test('a cache directory planted by another user is not used', (t) => {
  const base = tempBase(t);
  const planted = path.join(base, 'sriov-lxc', 'node-compile-cache');
  fs.mkdirSync(planted, { recursive: true, mode: 0o700 });
  fs.chownSync(planted, OTHER_UID, OTHER_UID);
  const choice = trustedCompileCacheDir({ XDG_CACHE_HOME: base }, uid, '/nonexistent');
  t.is(choice.dir, undefined);
  t.regex(choice.problem!, /owned by uid 65534/);
});

test('a world-writable cache directory is not used', (t) => {
  const base = tempBase(t);
  const planted = path.join(base, 'sriov-lxc', 'node-compile-cache');
  fs.mkdirSync(planted, { recursive: true });
  fs.chmodSync(planted, 0o777);
  const choice = trustedCompileCacheDir({ XDG_CACHE_HOME: base }, uid, '/nonexistent');
  t.is(choice.dir, undefined);
  t.regex(choice.problem!, /node-compile-cache: its mode is 0777: writable by its group and everyone/);
});

test('a symbolic link in place of the cache directory, or one above it that another user owns, is not followed', (t) => {
  const base = tempBase(t);
  const elsewhere = path.join(base, 'elsewhere');
  fs.mkdirSync(elsewhere, { mode: 0o700 });
  fs.mkdirSync(path.join(base, 'a', 'sriov-lxc'), { recursive: true, mode: 0o700 });
  fs.symlinkSync(elsewhere, path.join(base, 'a', 'sriov-lxc', 'node-compile-cache'));
  t.regex(trustedCompileCacheDir({ XDG_CACHE_HOME: path.join(base, 'a') }, uid, '/x').problem!, /symbolic link/);
  fs.symlinkSync(elsewhere, path.join(base, 'b'));
  fs.lchownSync(path.join(base, 'b'), OTHER_UID, OTHER_UID);
  t.regex(trustedCompileCacheDir({ XDG_CACHE_HOME: path.join(base, 'b', 'c') }, uid, '/x').problem!, /b is a symbolic link owned by uid 65534/);
  t.deepEqual(fs.readdirSync(elsewhere), [], 'nothing created through the links');
});

test('a link of ours above the cache (a home on another disk) is followed, and where it leads is checked', (t) => {
  const base = tempBase(t);
  const disk = path.join(base, 'disk');
  fs.mkdirSync(disk, { mode: 0o700 });
  fs.symlinkSync(disk, path.join(base, 'home'));
  t.is(trustedCompileCacheDir({ XDG_CACHE_HOME: path.join(base, 'home', 'cache') }, uid, '/x').dir, path.join(base, 'home', 'cache', 'sriov-lxc', 'node-compile-cache'));
  t.true(fs.existsSync(path.join(disk, 'cache', 'sriov-lxc', 'node-compile-cache')));
  fs.chmodSync(disk, 0o777);
  t.regex(trustedCompileCacheDir({ XDG_CACHE_HOME: path.join(base, 'home', 'cache') }, uid, '/x').problem!, /disk has mode 0777/);
});

test('a cache base that others can write (not sticky) is not used', (t) => {
  const base = tempBase(t);
  fs.chmodSync(base, 0o777);
  const choice = trustedCompileCacheDir({ XDG_CACHE_HOME: base }, uid, '/x');
  t.is(choice.dir, undefined);
  t.regex(choice.problem!, /writable by its group and everyone/);
  t.false(fs.existsSync(path.join(base, 'sriov-lxc')), 'nothing created there');
});

/** Every entry script, with the arguments that start it without touching anything. */
const ENTRIES: [string, string[]][] = [
  ['workflows/provision.ts', ['--help']],
  ['workflows/teardown.ts', ['--help']],
  ['workflows/status.ts', ['--help']],
  ['workflows/report.ts', ['--help']],
  ['lab/lab.ts', ['--help']],
  ['lab/demo.ts', ['--help']],
  ['bench/run.ts', ['--help']],
  ['bin/sriov-lxc.js', ['teardown', '--help']],
  ['bin/sriov-lxc.js', ['provision', '--help']],
];

test('the list of entry scripts is complete: every workflows/*.ts that is not a definition, the lab, the demo, the bench, bin/', (t) => {
  const workflows = fs.readdirSync(path.join(ROOT, 'workflows')).filter((f) => f.endsWith('.ts') && !f.endsWith('-workflow.ts')).map((f) => `workflows/${f}`);
  const bin = fs.readdirSync(path.join(ROOT, 'bin')).map((f) => `bin/${f}`);
  const listed = new Set(ENTRIES.map(([e]) => e));
  t.deepEqual([...workflows, ...bin, 'lab/lab.ts', 'lab/demo.ts', 'bench/run.ts'].filter((e) => !listed.has(e)), []);
});

for (const [entry, args] of ENTRIES) {
  test(`${entry} ${args.join(' ')} never uses a node-compile-cache planted in the temp dir`, (t) => {
    const tmp = tempBase(t);
    const planted = path.join(tmp, 'node-compile-cache');
    fs.mkdirSync(planted);
    fs.chmodSync(planted, 0o777);
    fs.chownSync(planted, OTHER_UID, OTHER_UID);
    const cache = tempBase(t);
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp, XDG_CACHE_HOME: cache };
    delete env['NODE_COMPILE_CACHE'];
    const run = spawnSync(process.execPath, [path.join(ROOT, entry), ...args], { env, encoding: 'utf8', timeout: 60_000 });
    t.is(run.status, 0, run.stderr);
    t.regex(run.stdout, /Usage: /);
    t.deepEqual(fs.readdirSync(planted), [], 'nothing read from or written to the planted directory');
    // Where an entry keeps a cache, it is our own 0700 directory.
    const own = path.join(cache, 'sriov-lxc', 'node-compile-cache');
    if (fs.existsSync(own)) t.is(fs.lstatSync(own).mode & 0o777, 0o700);
  });
}

test('provision.ts caches in its own 0700 dir', (t) => {
  const cache = tempBase(t);
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: cache };
  delete env['NODE_COMPILE_CACHE'];
  const run = spawnSync(process.execPath, [path.join(ROOT, 'workflows/provision.ts'), '--help'], { env, encoding: 'utf8', timeout: 60_000 });
  t.is(run.status, 0, run.stderr);
  const own = path.join(cache, 'sriov-lxc', 'node-compile-cache');
  t.is(fs.lstatSync(own).mode & 0o777, 0o700);
  t.true(fs.readdirSync(own).length > 0, 'the cache is kept in our own directory');
});
