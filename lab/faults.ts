// The faults a lab node's "hardware and firmware" can be switched into, and their arguments.

export const FAULTS = [
  'vt-disabled',
  'sriov-disabled',
  'short-vfs',
  'driver-build-fails',
  'reboot-hangs',
  'slow-boot',
  'grub-ignored',
  'bad-cmdline',
  'ssh-drops',
  'random-vf-macs',
  'no-lspci',
  'german-locale',
  'kdump-dropin',
] as const;

export type Fault = (typeof FAULTS)[number];

/** What each fault does, for `lab status` and usage messages. */
export const FAULT_HELP: Readonly<Record<Fault, string>> = {
  'vt-disabled': 'VT-x off in the BIOS: no vmx flag in /proc/cpuinfo',
  'sriov-disabled': 'SR-IOV off in the BIOS: sriov_totalvfs is 0, no SR-IOV capability',
  'short-vfs': 'the NIC grants at most ARG VFs per port (default 2), fewer than asked',
  'driver-build-fails': "the driver build fails like a kernel header mismatch (make rc 2)",
  'reboot-hangs': 'a reboot never comes back until the fault is cleared',
  'slow-boot': 'each boot takes ARG seconds (default 15)',
  'grub-ignored': 'the firmware ignores the GRUB configuration: the cmdline does not change',
  'bad-cmdline': 'a boot with changed kernel params panics; the firmware falls back',
  'ssh-drops': 'the next ARG SSH connections are reset (default 3), again after each boot',
  'random-vf-macs': 'VF MACs are re-randomised at every driver load (the paper\'s problem)',
  'no-lspci': 'pciutils not installed: no lspci (minimal installs)',
  'german-locale': 'LANG=de_DE.UTF-8 in /etc/default/locale, given to every SSH session (Debian\'s sshd with pam_env); from the next boot',
  'kdump-dropin': "kdump-tools' /etc/default/grub.d/kdump-tools.cfg as the distribution's package ships it (debian12: crashkernel=384M-:128M; ubuntu2404: Ubuntu's ranges, 2G-4G:320M,...,128G-:4096M)",
};

/** Faults that take a number, with its default. */
export const FAULT_DEFAULT_ARG: Readonly<Partial<Record<Fault, number>>> = {
  'short-vfs': 2,
  'slow-boot': 15,
  'ssh-drops': 3,
};

export function isFault(name: string): name is Fault {
  return (FAULTS as readonly string[]).includes(name);
}
