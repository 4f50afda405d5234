// Ubuntu 24.04 cloud image booted by UEFI, with the image's 50-cloudimg-settings.cfg, a site
// drop-in that sets GRUB_CMDLINE_LINUX (both override /etc/default/grub) and kdump-tools' drop-in as
// Ubuntu's package ships it, read after ours (issue 22): the params go into a drop-in read after the
// first two; kdump-tools' crashkernel stays, once; grub.cfg's menu also has the firmware entries.
// And the bad-cmdline fallback.
import test from 'ava';
import { labFault, labReboot } from '../../lab/index.ts';
import { bootMethodPipelineTests } from '../helpers/boot-method-pipeline.ts';
import { onNode } from '../helpers/lab-fixture.ts';

const UBUNTU_CRASHKERNEL = 'crashkernel=2G-4G:320M,4G-32G:512M,32G-64G:1024M,64G-128G:2048M,128G-:4096M';
import { grubDefaultEntryParamsOnNode } from '../helpers/node-boot-config.ts';

bootMethodPipelineTests(test, {
  flavour: 'ubuntu2404',
  firmware: 'uefi',
  badCmdline: true,
  keeps: ['net.ifnames=0', 'biosdevname=0', 'console=ttyS0', UBUNTU_CRASHKERNEL],
  prepare: async (lab) => {
    await labFault(lab.dir, lab.plan.name, 'kdump-dropin', true);
    // As the package's postinst: update-grub; booted once with it, as a node that has had kdump-tools a while.
    await onNode(lab, ['sh', '-c', 'printf "%s\\n" "GRUB_CMDLINE_LINUX=\\"net.ifnames=0 biosdevname=0\\"" > /etc/default/grub.d/60-site-net.cfg && update-grub 2> /dev/null']);
    await labReboot(lab.dir, lab.plan.name, { wait: true, timeoutMs: 120_000 });
    const cmdline = (await onNode(lab, ['cat', '/proc/cmdline'])).trim().split(/\s+/);
    if (!cmdline.includes(UBUNTU_CRASHKERNEL)) throw new Error(`kdump-tools' drop-in did not reach the cmdline: ${cmdline.join(' ')}`);
  },
  paramsOnNode: (lab) => grubDefaultEntryParamsOnNode(lab, '/boot/grub/grub.cfg'),
});
