# -*- coding: utf-8 -*-
# Copyright: sriov-lxc developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The options provision and teardown share (module_utils/specs.py COMMON_SPEC), documented once."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r'''
options:
  command:
    description:
      - The command that runs sriov-lxc on the execution node, as a list (e.g. C([node, /opt/sriov-lxc/bin/sriov-lxc.js])).
      - Default the variable C(sriov_lxc_controller_command), else C(sriov-lxc) on E(PATH).
    type: list
    elements: str
  state_dir:
    description:
      - sriov-lxc's state directory on the execution node (checkpoints, results, pinned host keys).
      - Default the variable C(sriov_lxc_controller_state_dir), else sriov-lxc's default
        (C($XDG_STATE_HOME/sriov-lxc)). Under AWX, a persistent path of the execution node.
    type: path
  inventory:
    description:
      - An sriov-lxc inventory file to take the plan from instead of the host's variables.
    type: path
  host:
    description:
      - The host's name in the plan. Default C(inventory_hostname).
    type: str
  only:
    description: Run only these stages.
    type: list
    elements: str
  start_at:
    description: Start at this stage (C(--from)); earlier stages are left as they are.
    type: str
  retry_failed:
    description: Continue from the host's failed stage; a host without one is skipped.
    type: bool
    default: false
  reboot_timeout:
    description: Seconds to wait for the node to come back from a reboot.
    type: int
    default: 600
  reboot_budget:
    description: Reboots a stage may request before it stops with a diagnosis.
    type: int
    default: 2
  trial_boot:
    description:
      - V(false) writes new kernel params straight into the default boot entry (C(--no-trial-boot)).
        Unset, the plan's C(sriov_lxc_trial_boot) decides.
    type: bool
  accept_new_host_key:
    description: Replace a pinned host key that changed (after you checked why).
    type: bool
    default: false
'''
