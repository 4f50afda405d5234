// The teardown workflow: provisioning undone, host by host, in reverse (README "Teardown: the way back").
// Its stages live here rather than beside each provisioning stage: the way back is one workflow
// with its own order and its own reboot, and each stage reads what its provisioning stage writes
// through that stage's own pure content functions (one source for "what sriov-lxc wrote").
import type { Stage, Workflow } from '../engine/stage.ts';
import { resolvePlanForNode } from '../node/facts/nic.ts';
import { containersTeardownStage } from '../tasks/teardown-containers.ts';
import { kernelCmdlineCommitTeardownStage } from '../tasks/teardown-kernel-cmdline-commit.ts';
import { kernelCmdlineTeardownStage } from '../tasks/teardown-kernel-cmdline.ts';
import { macResetTeardownStage } from '../tasks/teardown-mac-reset.ts';
import { modulesHugepagesTeardownStage } from '../tasks/teardown-modules-hugepages.ts';
import { nicFirmwareTeardownStage } from '../tasks/teardown-nic-firmware.ts';
import { rebootTeardownStage } from '../tasks/teardown-reboot.ts';
import { vfRuleTeardownStage } from '../tasks/teardown-vf-rule.ts';
import { verifyTeardownStage } from '../tasks/teardown-verify.ts';

const TEARDOWN_CONTAINERS_ID = containersTeardownStage.id;

export const TEARDOWN_STAGES: readonly Stage[] = [
  containersTeardownStage,
  macResetTeardownStage,
  vfRuleTeardownStage,
  modulesHugepagesTeardownStage,
  nicFirmwareTeardownStage,
  kernelCmdlineTeardownStage,
  rebootTeardownStage,
  kernelCmdlineCommitTeardownStage,
  verifyTeardownStage,
];

/** Teardown: its stages, each host's plan resolved for its NIC as provisioning resolved it. */
export const TEARDOWN_WORKFLOW: Workflow = { stages: TEARDOWN_STAGES, resolvePlan: resolvePlanForNode };

/** Teardown without its containers stage (--keep-containers). */
export const TEARDOWN_KEEPING_CONTAINERS: Workflow = { ...TEARDOWN_WORKFLOW, stages: TEARDOWN_STAGES.filter((s) => s.id !== TEARDOWN_CONTAINERS_ID) };

export { keptFiles } from '../tasks/teardown-verify.ts';
