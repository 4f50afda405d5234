#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: sriov-lxc developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: provision
short_description: Provision an SR-IOV node for LXC containers with sriov-lxc
version_added: 0.1.0
description:
  - Runs C(sriov-lxc provision) for the play's current host on the controller or execution node
    (an action plugin, nothing is copied to the node). sriov-lxc reaches the node over SSH itself,
    with the host's connection variables, so nodes without a current Python (CentOS 7) work.
  - The stages (BIOS verify, driver build, modules and hugepages, kernel cmdline, reboot, VF
    verify, containers, MAC reset, benchmark) run as the CLI runs them, across the reboot, with
    checkpoints in the state directory of the execution node and a lock on the node that keeps
    two jobs off one node.
  - The node's plan is the host's variables C(sriov_lxc_<field>), one per field of sriov-lxc's
    inventory in snake_case (C(sriov_lxc_pfs), C(sriov_lxc_containers), C(sriov_lxc_hugepages),
    C(sriov_lxc_kernel_params), ...), with C(ansible_host), C(ansible_port), C(ansible_user) and
    C(ansible_ssh_private_key_file) for the SSH fields. Group vars act as the inventory's
    defaults; a host var replaces a group var as a whole. sriov-lxc validates them with its own
    inventory loader; errors name the variable. Or O(inventory) names an inventory file.
  - C(changed) is true when a stage changed the node. A failed stage fails the host with the
    stage, the diagnosis and the hint.
author:
  - sriov-lxc developers
extends_documentation_fragment:
  - sriov_lxc.sriov_lxc.common
options:
  bench_profile:
    description:
      - Overrides the plan's benchmark profile.
      - C(standard) (the inventory's default) runs the paper's tests at their headline points, aiming at +/-5 points within 10 minutes;
        C(paper) the paper's full sweep (hours); C(quick) seconds, for demos and tests.
    type: str
    choices: [standard, paper, quick]
  allow_vf_resize:
    description: Let a VF count change stop the containers owning VFs of that PF, resize and start them again.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details: Runs C(sriov-lxc provision --dry-run), C(changed) says whether a stage would change the node.
  diff_mode:
    support: full
    details: In check mode, the file diffs of the dry run.
  action:
    support: full
notes:
  - Needs Node.js >= 22.18 and sriov-lxc on the execution node (role C(sriov_lxc.sriov_lxc.controller)).
  - A job cancelled while a node reboots leaves the checkpoint; the next run resumes from it.
seealso:
  - module: sriov_lxc.sriov_lxc.teardown
'''

EXAMPLES = r'''
- name: Provision the SR-IOV container hosts, two at a time
  hosts: sriov_nodes
  gather_facts: false
  serial: 2
  max_fail_percentage: 25
  tasks:
    - name: Provision
      sriov_lxc.sriov_lxc.provision:
        bench_profile: quick

# group_vars/sriov_nodes.yml
# sriov_lxc_iommu: pt
# sriov_lxc_hugepages: {count: 1024, size: 2M}
# sriov_lxc_pfs: [{name: enp4s0f0, vfs: 8}]
# host_vars/node1.yml
# sriov_lxc_containers:
#   - {name: c1, template: debian, vf: {pf: enp4s0f0, index: 0}, address: 192.168.10.11/24}
'''

RETURN = r'''
status:
  description: The host's result (ok, failed, locked, rebooting, skipped, not-started).
  returned: when sriov-lxc reported on the host
  type: str
  sample: ok
stage:
  description: The stage that failed.
  returned: failure
  type: str
  sample: driver-build
diagnosis:
  description: Why the stage failed.
  returned: failure
  type: str
hint:
  description: What to do about it.
  returned: failure, when sriov-lxc has one
  type: str
reboots:
  description: Reboots of the node in this run.
  returned: when sriov-lxc reported on the host
  type: int
  sample: 1
stages:
  description: Each stage with its status, changed, attempts, duration and error (and, in check mode, its plan and diffs).
  returned: when sriov-lxc reported on the host
  type: list
  elements: dict
outputs:
  description: What the stages found on the node (sriov-lxc's outputs per stage).
  returned: when sriov-lxc reported on the host
  type: dict
benchmark:
  description: The benchmark's result, with the penalties flagged beyond the threshold (its verdicts).
  returned: when the benchmark stage ran or was verified
  type: dict
plan:
  description: Per stage, what it would change.
  returned: check mode
  type: dict
rc:
  description: sriov-lxc's exit code (0 done, 1 a stage failed, 2 usage or plan error, 3 locked, 130/143 interrupted).
  returned: always
  type: int
cmd:
  description: The command run on the execution node.
  returned: always
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.sriov_lxc.sriov_lxc.plugins.module_utils.specs import PROVISION_SPEC


def main():
    module = AnsibleModule(argument_spec=PROVISION_SPEC, supports_check_mode=True)
    module.fail_json(msg='sriov_lxc.sriov_lxc.provision runs on the controller as an action plugin; '
                         'this module file only documents it')


if __name__ == '__main__':
    main()
