// The stage ids of the kernel-cmdline trio in each workflow (the stages name each other in hints,
// and the reboot and commit stages re-run from the first one).
import type { TrioIds } from './cmdline-trio.ts';

export const PROVISION_TRIO: TrioIds = { arm: 'kernel-cmdline', reboot: 'reboot', commit: 'kernel-cmdline-commit' };
export const TEARDOWN_TRIO: TrioIds = { arm: 'teardown-kernel-cmdline', reboot: 'teardown-reboot', commit: 'teardown-kernel-cmdline-commit' };
