// AlmaLinux 9 booted by UEFI: grub.cfg's only menu entries are the firmware's (UEFI Firmware
// Settings, a Windows Boot Manager chainloader), the Linux entries come from blscfg.
import test from 'ava';
import { bootMethodPipelineTests } from '../helpers/boot-method-pipeline.ts';
import { blsParamsOnNode } from '../helpers/node-boot-config.ts';

bootMethodPipelineTests(test, { flavour: 'alma9', firmware: 'uefi', badCmdline: false, paramsOnNode: blsParamsOnNode });
