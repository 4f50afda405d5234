// AlmaLinux 9 booted by BIOS: kernel params through grubby on every BLS entry and
// /etc/kernel/cmdline, the trial as a one-shot BLS entry; and the bad-cmdline fallback.
import test from 'ava';
import { bootMethodPipelineTests } from '../helpers/boot-method-pipeline.ts';
import { blsParamsOnNode } from '../helpers/node-boot-config.ts';

bootMethodPipelineTests(test, { flavour: 'alma9', firmware: 'bios', badCmdline: true, paramsOnNode: blsParamsOnNode });
