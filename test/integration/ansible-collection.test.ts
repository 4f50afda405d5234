// The collection of ansible/ without a lab: it builds and installs with Debian's ansible-galaxy,
// its documentation matches the argument specs the action plugins validate, ansible-test sanity
// (the tests that run offline from Debian's ansible-core: the others need pip in a venv) and
// ansible-lint pass on it, a plan error in the host vars fails the host before any
// connection, naming the Ansible variable, and a job killed with -9 leaves no file of the host's
// variables behind.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { stringify } from 'yaml';
import { installCollection } from '../../bench/collection.ts';
import { runPlaybook, spawnPlaybook, SRIOV_LXC_COMMAND } from '../helpers/ansible-lab.ts';
import { finished } from '../helpers/lab-fixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'sriov-lxc-collection-'));
const collections = join(dir, 'collections');
const installed = join(collections, 'ansible_collections', 'sriov_lxc', 'sriov_lxc');
const env = { ...process.env, ANSIBLE_COLLECTIONS_PATH: collections, ANSIBLE_NOCOLOR: '1' };

test.before(() => {
  installCollection(dir);
});

test.after.always(() => {
  rmSync(dir, { recursive: true, force: true });
});

const run = (argv: string[], cwd = dir, extraEnv: Record<string, string> = {}) => spawnSync(argv[0]!, argv.slice(1), { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 300_000 });

test('the documentation of provision and teardown says what their argument specs take (names, types, defaults, choices)', (t) => {
  // The action plugins validate against module_utils/specs.py; ansible-doc reads the module files.
  const script = [
    'import json, sys',
    'from ansible_collections.sriov_lxc.sriov_lxc.plugins.module_utils.specs import PROVISION_SPEC, TEARDOWN_SPEC',
    'print(json.dumps({"provision": PROVISION_SPEC, "teardown": TEARDOWN_SPEC}))',
  ].join('\n');
  const specs = run(['/usr/bin/python3', '-c', script], dir, { PYTHONPATH: collections });
  t.is(specs.status, 0, specs.stderr);
  const spec = JSON.parse(specs.stdout) as Record<string, Record<string, { type: string; default?: unknown; choices?: string[]; elements?: string }>>;
  for (const name of ['provision', 'teardown']) {
    const doc = run(['ansible-doc', '--json', `sriov_lxc.sriov_lxc.${name}`]);
    t.is(doc.status, 0, doc.stderr);
    const options = (JSON.parse(doc.stdout) as Record<string, { doc: { options: Record<string, { type: string; default?: unknown; choices?: string[]; elements?: string }> } }>)[`sriov_lxc.sriov_lxc.${name}`]!.doc.options;
    t.deepEqual(Object.keys(options).sort(), Object.keys(spec[name]!).sort(), `${name}: documented options`);
    for (const [option, s] of Object.entries(spec[name]!)) {
      const d = options[option]!;
      t.deepEqual([d.type, d.default ?? null, d.choices ?? null, d.elements ?? null], [s.type, s.default ?? null, s.choices ?? null, s.elements ?? null], `${name}.${option}`);
    }
  }
  const role = run(['ansible-doc', '-t', 'role', 'sriov_lxc.sriov_lxc.controller']);
  t.is(role.status, 0, role.stderr);
  t.regex(role.stdout, /sriov_lxc_controller_package/);
});

test('ansible-test sanity (the tests Debian\'s ansible-core runs offline) passes on the collection', (t) => {
  // ansible-test reads the files of a git work tree at ansible_collections/NAMESPACE/NAME.
  const tree = join(dir, 'sanity', 'ansible_collections', 'sriov_lxc', 'sriov_lxc');
  cpSync(installed, tree, { recursive: true });
  for (const argv of [['git', 'init', '-q', '.'], ['git', 'add', '-A']]) t.is(run(argv, tree).status, 0);
  const tests = ['compile', 'action-plugin-docs', 'future-import-boilerplate', 'metaclass-boilerplate', 'no-main-display', 'shebang', 'use-argspec-type-path', 'empty-init', 'line-endings', 'no-smart-quotes', 'replace-urlopen', 'use-compat-six', 'no-assert', 'no-get-exception', 'symlinks', 'shellcheck', 'no-illegal-filenames', 'no-basestring', 'no-dict-iteritems', 'no-dict-iterkeys', 'no-dict-itervalues', 'no-unicode-literals', 'changelog', 'ignores', 'pslint'];
  const sanity = run(['ansible-test', 'sanity', '--local', '--python', '3.11', ...tests.flatMap((x) => ['--test', x])], tree);
  t.is(sanity.status, 0, `${sanity.stdout}\n${sanity.stderr}`);
  t.regex(sanity.stdout, /Running sanity test "compile" on Python 3\.11/, 'it ran (not "all targets skipped")');
});

test('ansible-lint (production profile, offline) passes on the collection', (t) => {
  const lint = run(['ansible-lint', '--nocolor'], installed);
  t.is(lint.status, 0, `${lint.stdout}\n${lint.stderr}`);
  t.regex(`${lint.stdout}${lint.stderr}`, /Passed with production profile/);
});

test('a plan error in the host vars fails the host before any connection, naming the Ansible variable', async (t) => {
  const work = join(dir, 'plan-error');
  cpSync(installed, join(work, 'collections', 'ansible_collections', 'sriov_lxc', 'sriov_lxc'), { recursive: true });
  writeFileSync(join(work, 'hosts.yml'), stringify({
    all: {
      children: {
        sriov_nodes: {
          vars: { sriov_lxc_pfs: [{ name: 'enp4s0f0', vfs: 4 }], sriov_lxc_hugepages: { count: 16 } },
          hosts: {
            bad: { ansible_host: '192.0.2.11', sriov_lxc_containrs: [] },
            worse: { ansible_host: '192.0.2.12', sriov_lxc_pfs: [{ name: 'enp4s0f0', vfs: 300 }] },
          },
        },
      },
    },
  }));
  writeFileSync(join(work, 'play.yml'), stringify([{ name: 'check only', hosts: 'sriov_nodes', gather_facts: false, tasks: [{ name: 'Provision', 'sriov_lxc.sriov_lxc.provision': { command: SRIOV_LXC_COMMAND, state_dir: join(work, 'state') } }] }]));
  const r = await runPlaybook({ dir: work, inventory: join(work, 'hosts.yml'), playbook: join(work, 'play.yml'), extraArgs: ['--check'] }, 120_000);
  const bad = r.tasks.Provision?.bad;
  t.true(bad?.failed, JSON.stringify(bad));
  t.is(bad?.rc, 2);
  t.regex(bad?.msg ?? '', /sriov_lxc_containrs \(host bad\): unknown variable/);
  t.notRegex(bad?.msg ?? '', /^error: /, 'the message without the CLI\'s prefix');
  t.regex(bad?.hint ?? '', /sriov_lxc_containers/, 'the hint lists the variables');
  const worse = r.tasks.Provision?.worse;
  t.true(worse?.failed, JSON.stringify(worse));
  t.regex(worse?.msg ?? '', /^invalid Ansible variables .*\n {2}sriov_lxc_pfs\[0\]\.vfs: 300 Too big/);
  t.is(r.stats.bad?.failures, 1);
  t.is(r.stats.worse?.failures, 1);
});

/** Every file under dir, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

test('a job killed with -9 while the tool runs leaves nothing of the host variables behind: they go on its standard input', async (t) => {
  const work = join(dir, 'killed');
  cpSync(installed, join(work, 'collections', 'ansible_collections', 'sriov_lxc', 'sriov_lxc'), { recursive: true });
  // The job's temporary directory (Python's tempfile and the workers follow TMPDIR) and a record of
  // what the tool got: a stand-in that writes down its argv and standard input, then runs until killed.
  const jobTmp = join(work, 'job-tmp');
  const seen = join(work, 'seen');
  mkdirSync(jobTmp);
  mkdirSync(seen);
  const tool = join(work, 'sriov-lxc-stand-in');
  writeFileSync(tool, '#!/bin/sh\nprintf \'%s\\n\' "$@" > "$SEEN/argv"\ncat > "$SEEN/stdin"\n: > "$SEEN/started"\nexec sleep 300\n', { mode: 0o755 });
  const mark = `/mnt/huge-${process.pid}-only-in-the-vars`;
  writeFileSync(join(work, 'hosts.yml'), stringify({ all: { hosts: { n1: { ansible_host: '192.0.2.21', sriov_lxc_hugepages: { count: 16, mount: mark } } } } }));
  writeFileSync(join(work, 'play.yml'), stringify([{ name: 'killed', hosts: 'all', gather_facts: false, tasks: [{ name: 'Provision', 'sriov_lxc.sriov_lxc.provision': { command: [tool], state_dir: join(work, 'state') } }] }]));
  const child = spawnPlaybook({ dir: work, inventory: join(work, 'hosts.yml'), playbook: join(work, 'play.yml'), env: { TMPDIR: jobTmp, SEEN: seen } });
  const job = finished(child, 120_000);
  for (let waited = 0; !existsSync(join(seen, 'started')) && waited < 60_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
  t.true(existsSync(join(seen, 'started')), 'the tool ran');
  process.kill(-child.pid!, 'SIGKILL');
  t.is((await job).signal, 'SIGKILL');

  const argv = readFileSync(join(seen, 'argv'), 'utf8').split('\n');
  t.is(argv[argv.indexOf('--ansible-vars') + 1], '-', argv.join(' '));
  t.deepEqual((JSON.parse(readFileSync(join(seen, 'stdin'), 'utf8')) as Record<string, Record<string, unknown>>).n1?.sriov_lxc_hugepages, { count: 16, mount: mark });
  // Nothing in the job's temporary directory or Ansible's local_tmp holds them.
  const holding = [jobTmp, join(work, 'tmp')].filter((d) => existsSync(d)).flatMap(filesUnder).filter((f) => readFileSync(f, 'utf8').includes(mark));
  t.deepEqual(holding, []);
  t.deepEqual(readdirSync(jobTmp).filter((n) => n.startsWith('sriov-lxc-ansible-')), []);
});
