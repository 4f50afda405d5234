// Teardown on an alma9 lab node booted by BIOS (kernel params on Boot Loader Specification entries
// through grubby and /etc/kernel/cmdline): the same trial boot and fallback as provisioning, killed
// -9 at a stage boundary and during its reboot, resumed; the node compared with before
// provisioning (BLS entries, /etc/kernel/cmdline, grubenv), then provisioned again.
import test from 'ava';
import { teardownTests } from '../helpers/teardown-tests.ts';

teardownTests(test, 'alma9', 'kills');
