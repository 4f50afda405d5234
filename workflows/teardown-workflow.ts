// The teardown workflow: provisioning undone, host by host, in reverse (README "Teardown: the way back").
// Its stages live here rather than beside each provisioning stage: the way back is one workflow
// with its own order and its own reboot, and each stage reads what its provisioning stage writes
// through that stage's own pure content functions (one source for "what sriov-lxc wrote").
import type { Stage } from '../engine/stage.ts';
import { containersTeardownStage } from '../tasks/teardown-containers.ts';
import { kernelCmdlineCommitTeardownStage } from '../tasks/teardown-kernel-cmdline-commit.ts';
import { kernelCmdlineTeardownStage } from '../tasks/teardown-kernel-cmdline.ts';
import { macResetTeardownStage } from '../tasks/teardown-mac-reset.ts';
import { modulesHugepagesTeardownStage } from '../tasks/teardown-modules-hugepages.ts';
import { rebootTeardownStage } from '../tasks/teardown-reboot.ts';
import { vfRuleTeardownStage } from '../tasks/teardown-vf-rule.ts';
import { verifyTeardownStage } from '../tasks/teardown-verify.ts';

export const TEARDOWN_CONTAINERS_ID = containersTeardownStage.id;

export const TEARDOWN_STAGES: readonly Stage[] = [
  containersTeardownStage,
  macResetTeardownStage,
  vfRuleTeardownStage,
  modulesHugepagesTeardownStage,
  kernelCmdlineTeardownStage,
  rebootTeardownStage,
  kernelCmdlineCommitTeardownStage,
  verifyTeardownStage,
];

export { keptFiles } from '../tasks/teardown-verify.ts';
