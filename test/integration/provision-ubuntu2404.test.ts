// Ubuntu 24.04 cloud image booted by UEFI, with the image's 50-cloudimg-settings.cfg and a site
// drop-in that sets GRUB_CMDLINE_LINUX (both override /etc/default/grub): the params go into a
// drop-in read after them; grub.cfg's menu also has the firmware entries. And the bad-cmdline fallback.
import test from 'ava';
import { bootMethodPipelineTests } from '../helpers/boot-method-pipeline.ts';
import { onNode } from '../helpers/lab-fixture.ts';
import { grubDefaultEntryParamsOnNode } from '../helpers/node-boot-config.ts';

bootMethodPipelineTests(test, {
  flavour: 'ubuntu2404',
  firmware: 'uefi',
  badCmdline: true,
  keeps: ['net.ifnames=0', 'biosdevname=0', 'console=ttyS0'],
  prepare: async (lab) => {
    await onNode(lab, ['sh', '-c', 'printf "%s\\n" "GRUB_CMDLINE_LINUX=\\"net.ifnames=0 biosdevname=0\\"" > /etc/default/grub.d/60-site-net.cfg && update-grub 2> /dev/null']);
  },
  paramsOnNode: (lab) => grubDefaultEntryParamsOnNode(lab, '/boot/grub/grub.cfg'),
});
