// The provisioning workflow: the paper's procedure as ordered stages (README "The stages").
import type { Stage, Workflow } from '../engine/stage.ts';
import { resolvePlanForNode } from '../node/facts/nic.ts';
import { biosVerifyStage } from '../tasks/bios-verify.ts';
import { driverBuildStage } from '../tasks/driver-build.ts';
import { modulesHugepagesStage } from '../tasks/modules-hugepages.ts';
import { nicFirmwareStage } from '../tasks/nic-firmware.ts';
import { kernelCmdlineStage } from '../tasks/kernel-cmdline.ts';
import { rebootStage } from '../tasks/reboot.ts';
import { kernelCmdlineCommitStage } from '../tasks/kernel-cmdline-commit.ts';
import { vfVerifyStage } from '../tasks/vf-verify.ts';
import { containerCreateStage } from '../tasks/container-create.ts';
import { macResetStage } from '../tasks/mac-reset.ts';
import { benchmarkStage } from '../tasks/benchmark.ts';

export const PROVISION_STAGES: readonly Stage[] = [
  biosVerifyStage,
  driverBuildStage,
  modulesHugepagesStage,
  nicFirmwareStage,
  kernelCmdlineStage,
  rebootStage,
  kernelCmdlineCommitStage,
  vfVerifyStage,
  containerCreateStage,
  macResetStage,
  benchmarkStage,
];

/** Provisioning: its stages, each host's plan resolved for its NIC (nic: auto) first. */
export const PROVISION_WORKFLOW: Workflow = { stages: PROVISION_STAGES, resolvePlan: resolvePlanForNode };
