# -*- coding: utf-8 -*-
# Copyright: sriov-lxc developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""sriov_lxc.sriov_lxc.provision: runs `sriov-lxc provision` for the play's current host on the
controller / execution node (documentation: plugins/modules/provision.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase
from ansible_collections.sriov_lxc.sriov_lxc.plugins.module_utils.specs import PROVISION_SPEC
from ansible_collections.sriov_lxc.sriov_lxc.plugins.plugin_utils.runner import Runner


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(PROVISION_SPEC)
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        super(ActionModule, self).run(tmp, task_vars)
        return Runner(self, task_vars or {}, 'provision', PROVISION_SPEC).run()
