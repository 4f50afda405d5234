# -*- coding: utf-8 -*-
# Copyright: sriov-lxc developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The argument specs of sriov_lxc.sriov_lxc.provision and .teardown, shared by the action
plugins (which validate them) and the module stubs (which document them)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

COMMON_SPEC = dict(
    command=dict(type='list', elements='str'),
    state_dir=dict(type='path'),
    inventory=dict(type='path'),
    host=dict(type='str'),
    only=dict(type='list', elements='str'),
    start_at=dict(type='str'),
    retry_failed=dict(type='bool', default=False),
    reboot_timeout=dict(type='int', default=600),
    reboot_budget=dict(type='int', default=2),
    trial_boot=dict(type='bool'),
    accept_new_host_key=dict(type='bool', default=False),
)

PROVISION_SPEC = dict(
    COMMON_SPEC,
    bench_profile=dict(type='str', choices=['standard', 'paper', 'quick']),
    allow_vf_resize=dict(type='bool', default=False),
)

TEARDOWN_SPEC = dict(
    COMMON_SPEC,
    keep_containers=dict(type='bool', default=False),
)
