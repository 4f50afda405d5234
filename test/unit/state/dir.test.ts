import test from 'ava';
import { UsageError } from '../../../core/errors.ts';
import {
  LOCAL_STATE_DIR,
  checkpointPath,
  hostDir,
  journalPath,
  knownHostsPath,
  lockPath,
  resolveStateDir,
  runDir,
} from '../../../state/state-dir.ts';

const env = { SRIOV_LXC_STATE_DIR: '/srv/env-state', XDG_STATE_HOME: '/home/op/.xdg-state' };

test('the --state-dir flag wins over the environment and --local', (t) => {
  t.is(resolveStateDir({ flag: '/srv/flag', local: true, env }), '/srv/flag');
});

test('a relative --state-dir is resolved against the working directory', (t) => {
  t.is(resolveStateDir({ flag: 'state-local', env: {} }), `${process.cwd()}/state-local`);
});

test('SRIOV_LXC_STATE_DIR comes next, also with --local', (t) => {
  t.is(resolveStateDir({ local: true, env }), '/srv/env-state');
});

test('--local keeps state with the node: /var/lib/sriov-lxc', (t) => {
  t.is(resolveStateDir({ local: true, env: { XDG_STATE_HOME: '/x' } }), LOCAL_STATE_DIR);
  t.is(LOCAL_STATE_DIR, '/var/lib/sriov-lxc');
});

test('on a controller: $XDG_STATE_HOME/sriov-lxc, else ~/.local/state/sriov-lxc', (t) => {
  t.is(resolveStateDir({ env: { XDG_STATE_HOME: '/home/op/.xdg-state' } }), '/home/op/.xdg-state/sriov-lxc');
  t.is(resolveStateDir({ env: {}, homeDir: '/home/op' }), '/home/op/.local/state/sriov-lxc');
});

test('empty variables and a relative XDG_STATE_HOME are ignored', (t) => {
  t.is(resolveStateDir({ flag: '', env: { SRIOV_LXC_STATE_DIR: '', XDG_STATE_HOME: 'rel' }, homeDir: '/home/op' }), '/home/op/.local/state/sriov-lxc');
});

test('layout under the state dir', (t) => {
  t.is(hostDir('/s', 'node1'), '/s/hosts/node1');
  t.is(checkpointPath('/s', 'node1'), '/s/hosts/node1/checkpoint.json');
  t.is(lockPath('/s', 'node1'), '/s/hosts/node1/lock');
  t.is(journalPath('/s', 'node1'), '/s/hosts/node1/journal.jsonl');
  t.is(runDir('/s', 'node1', 'r1'), '/s/hosts/node1/runs/r1');
  t.is(knownHostsPath('/s'), '/s/known_hosts');
});

test('host names and run ids that would leave their directory are refused', (t) => {
  for (const bad of ['', '.', '..', '../etc', 'a/b', 'a\\b', 'a\0b']) {
    const error = t.throws(() => hostDir('/s', bad), { instanceOf: UsageError });
    t.regex(error.message, /Invalid host name/);
    t.truthy(error.hint);
  }
  t.throws(() => runDir('/s', 'node1', '../../x'), { instanceOf: UsageError, message: /Invalid run id/ });
});
