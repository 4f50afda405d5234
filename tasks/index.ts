// The provisioning workflow: the paper's procedure as ordered stages (DESIGN.md "Stages").
import type { Stage } from './stage.ts';
import { biosVerifyStage } from './bios-verify/stage.ts';
import { driverBuildStage } from './driver-build/stage.ts';
import { modulesHugepagesStage } from './modules-hugepages/stage.ts';
import { nicFirmwareStage } from './nic-firmware/stage.ts';
import { kernelCmdlineStage } from './kernel-cmdline/stage.ts';
import { rebootStage } from './reboot/stage.ts';
import { kernelCmdlineCommitStage } from './kernel-cmdline-commit/stage.ts';
import { vfVerifyStage } from './vf-verify/stage.ts';
import { containerCreateStage } from './container-create/stage.ts';
import { macResetStage } from './mac-reset/stage.ts';
import { benchmarkStage } from './benchmark/stage.ts';

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
