# -*- coding: utf-8 -*-
# Copyright: sriov-lxc developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Runs the sriov-lxc CLI for the play's current host from the controller or execution node
(over SSH to the node, as sriov-lxc does by itself) and turns its --json report into Ansible's
result. The node's plan goes to the CLI as the host's Ansible variables (--ansible-vars -, on its
standard input: no file holds them, so nothing of them is left when the worker is killed with -9),
which the tool validates with the inventory's own loader, or an inventory file names it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import signal
import subprocess

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.utils.display import Display

display = Display()

PLAN_PREFIX = 'sriov_lxc_'
# Settings of the collection (command, state dir, the role's), not fields of the node's plan.
SETTINGS_PREFIX = 'sriov_lxc_controller_'
# The inventory's SSH fields, from the connection's options (which know -u, ansible.cfg and
# the credential AWX injects) when the host's variables do not set them.
CONNECTION = (
    ('ansible_host', ('ansible_host', 'ansible_ssh_host'), 'host'),
    ('ansible_port', ('ansible_port', 'ansible_ssh_port'), 'port'),
    ('ansible_user', ('ansible_user', 'ansible_ssh_user'), 'remote_user'),
    ('ansible_ssh_private_key_file', ('ansible_ssh_private_key_file', 'ansible_private_key_file'), 'private_key_file'),
)

EXIT_USAGE = 2
EXIT_LOCKED = 3
EXIT_INTERRUPTED = (130, 143)


def _die_with_parent():
    """The CLI gets SIGTERM if the worker dies without forwarding (SIGKILL): it finishes the stage
    under way, writes its checkpoint and stops, as for an operator's Ctrl-C. Linux only."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _run(argv, cwd, stdin=None):
    """Runs argv with stdin (bytes) on its standard input, or none; SIGINT/SIGTERM to this worker
    are passed on to the CLI, which then stops at the end of its stage (a reboot wait stops at
    once) with its checkpoint written."""
    child = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_die_with_parent)

    def forward(signum, _frame):
        if child.poll() is None:
            child.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        stdout, stderr = child.communicate(stdin)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return child.returncode, to_text(stdout, errors='surrogate_or_strict'), to_text(stderr, errors='surrogate_or_strict')


def _usage_error(stderr):
    """The CLI's `error: ...` and `hint: ...` (exit 2: nothing was touched)."""
    text = stderr.strip()
    message, _sep, hint = text.partition('\nhint: ')
    if message.startswith('error: '):
        message = message[len('error: '):]
    return message or 'sriov-lxc refused the command line or the plan (exit 2)', hint or None


class Runner:
    """One workflow (provision or teardown) of the sriov-lxc CLI for one host."""

    def __init__(self, action, task_vars, workflow, spec):
        self._action = action
        self._task_vars = task_vars
        self._workflow = workflow
        self._spec = spec

    def _template(self, value):
        return self._action._templar.template(value)

    def _connection_option(self, name):
        try:
            return self._action._connection.get_option(name)
        except (AnsibleError, KeyError):
            return None

    def host_vars(self, host):
        """The variables the CLI reads (--ansible-vars): the SSH fields and sriov_lxc_*."""
        tv = self._task_vars
        out = {}
        for key, names, option in CONNECTION:
            value = next((self._template(tv[n]) for n in names if n in tv), None)
            if value is None:
                value = self._connection_option(option)
            if value is None or value == '':
                continue
            if key == 'ansible_port' and isinstance(value, str) and value.isdigit():
                value = int(value)
            out[key] = value
        if out.get('ansible_host') in ('localhost', '127.0.0.1') and tv.get('ansible_connection') == 'local':
            raise AnsibleError('%s uses ansible_connection=local: sriov-lxc reaches a node over SSH; set ansible_host '
                               'to its address, or run sriov-lxc provision --local on the node itself' % host)
        for name in tv:
            if name.startswith(PLAN_PREFIX) and not name.startswith(SETTINGS_PREFIX):
                out[name] = self._template(tv[name])
        return {host: out}

    def argv(self, args, host):
        command = args['command'] or self._template(self._task_vars.get(SETTINGS_PREFIX + 'command')) or ['sriov-lxc']
        if isinstance(command, str):
            command = [command]
        argv = [to_text(c) for c in command] + [self._workflow, '--json', '--host', host]
        state_dir = args['state_dir'] or self._template(self._task_vars.get(SETTINGS_PREFIX + 'state_dir'))
        if state_dir:
            argv += ['--state-dir', os.path.expanduser(to_text(state_dir))]
        argv += ['--inventory', args['inventory']] if args['inventory'] else ['--ansible-vars', '-']
        if args['only']:
            argv += ['--only', ','.join(args['only'])]
        if args['start_at']:
            argv += ['--from', args['start_at']]
        if args['retry_failed']:
            argv.append('--retry-failed')
        argv += ['--reboot-timeout', str(args['reboot_timeout']), '--reboot-budget', str(args['reboot_budget'])]
        if args['trial_boot'] is False:
            argv.append('--no-trial-boot')
        if args['accept_new_host_key']:
            argv.append('--accept-new-host-key')
        if args.get('bench_profile'):
            argv += ['--bench-profile', args['bench_profile']]
        if args.get('allow_vf_resize'):
            argv.append('--allow-vf-resize')
        if args.get('keep_containers'):
            argv.append('--keep-containers')
        if self._action._task.check_mode:
            argv.append('--dry-run')
        return argv

    def run(self):
        validation, args = self._action.validate_argument_spec(argument_spec=self._spec)
        del validation
        host = args['host'] or self._task_vars['inventory_hostname']
        stdin = None if args['inventory'] else json.dumps(self.host_vars(host)).encode('utf-8')
        argv = self.argv(args, host)
        display.vvv('sriov-lxc: %s' % ' '.join(argv), host=host)
        cwd = self._task_vars.get('playbook_dir') or None
        try:
            rc, stdout, stderr = _run(argv, cwd, stdin)
        except OSError as e:
            return dict(failed=True, msg='cannot run %s: %s' % (argv[0], e),
                        hint='install sriov-lxc on the execution node (role sriov_lxc.sriov_lxc.controller) '
                             'or set sriov_lxc_controller_command')
        return self.result(host, argv, rc, stdout, stderr)

    def result(self, host, argv, rc, stdout, stderr):
        check = bool(self._action._task.check_mode)
        base = dict(rc=rc, cmd=argv, changed=False)
        try:
            doc = json.loads(stdout) if stdout.strip() else None
        except ValueError:
            doc = None
        report = next((h for h in (doc or {}).get('hosts', []) if h.get('host') == host), None)
        if report is None:
            if rc == EXIT_USAGE:
                message, hint = _usage_error(stderr)
                return dict(base, failed=True, msg=message, stage=None, diagnosis=message, hint=hint)
            return dict(base, failed=True, msg='sriov-lxc exited %s without a report for %s' % (rc, host),
                        stderr=stderr[-4000:])
        stages = report.get('stages', [])
        changed = any(s.get('changed') for s in stages) or (check and any(s.get('status') == 'would-change' for s in stages))
        outputs = report.get('outputs') or {}
        result = dict(base, changed=changed, status=report.get('status'), reboots=report.get('reboots', 0),
                      duration_ms=report.get('durationMs'), stages=stages, outputs=outputs)
        if 'benchmark' in outputs:
            result['benchmark'] = outputs['benchmark']
        if check:
            result['plan'] = dict((s['id'], s['plan']) for s in stages if s.get('plan'))
            if self._action._task.diff:
                result['diff'] = [dict(before_header=d['path'], after_header=d['path'], prepared=d['diff'])
                                  for s in stages for d in s.get('diffs', [])]
        if stderr.strip():
            result['warnings'] = [line[len('warning: '):] for line in stderr.splitlines() if line.startswith('warning: ')]
        error = report.get('error') or {}
        if rc == 0 and report.get('ok', False) or rc == 0 and report.get('status') == 'skipped':
            done = [s['id'] for s in stages if s.get('changed') or s.get('status') == 'would-change']
            verb = 'would change' if check else 'changed'
            result['msg'] = '%s: %s %s; reboots: %s' % (self._workflow, verb, ', '.join(done) if done else 'nothing', result['reboots'])
            return result
        stage = report.get('failedStage')
        diagnosis = error.get('message') or 'status %s (exit %s)' % (report.get('status'), rc)
        if rc == EXIT_LOCKED:
            diagnosis = error.get('message') or 'the node is locked by another run'
        elif rc in EXIT_INTERRUPTED:
            diagnosis = 'interrupted (exit %s): the stage under way finished and its checkpoint is written; run again to continue' % rc
        result.update(failed=True, stage=stage, diagnosis=diagnosis, hint=error.get('hint'),
                      msg='%s%s' % ('%s: ' % stage if stage else '', diagnosis))
        for key in ('command', 'code', 'stderrTail'):
            if key in error:
                result['error_' + key.lower()] = error[key]
        return result
