// Template patches shipped with sriov-lxc, referred to by name in the inventory.
import type { TemplatePatch } from './plan.ts';

export const NAMED_PATCHES: Readonly<Record<string, TemplatePatch>> = {
  // The paper's "very slow container boot" (lxc/lxc#340, #622): the CentOS config dropped
  // setfcap/setpcap, which systemd-journald and logind need in a CentOS 7 container, so boot
  // stalled for minutes per unit. Later LXC releases dropped them from the list; so do we.
  'centos7-slow-boot': {
    name: 'centos7-slow-boot',
    file: '/usr/share/lxc/config/centos.common.conf',
    find: 'lxc.cap.drop = mac_admin mac_override setfcap setpcap',
    replace: 'lxc.cap.drop = mac_admin mac_override',
  },
};
