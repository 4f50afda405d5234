// Ubuntu 24.04 on BIOS (the server install most racks run; the UEFI cloud image is in
// provision-ubuntu2404.test.ts): the image's 50-cloudimg-settings.cfg sets the default command
// line, the params go into our drop-in read after it, GRUB's BIOS platform files make grub.cfg,
// the trial entry boots once and the plain reset keeps the params.
import test from 'ava';
import { bootMethodPipelineTests } from '../helpers/boot-method-pipeline.ts';
import { grubDefaultEntryParamsOnNode } from '../helpers/node-boot-config.ts';

bootMethodPipelineTests(test, {
  flavour: 'ubuntu2404',
  firmware: 'bios',
  badCmdline: false,
  keeps: ['console=tty1', 'console=ttyS0'],
  paramsOnNode: (lab) => grubDefaultEntryParamsOnNode(lab, '/boot/grub/grub.cfg'),
});
