// Teardown on an alma9 lab node booted by UEFI (grub.cfg on the ESP is a stub that reads
// /boot/grub2/grub.cfg; BLS entries through grubby), with files the operator edited kept and
// named; the node compared with before provisioning, then provisioned again.
import test from 'ava';
import { teardownTests } from '../helpers/teardown-tests.ts';

teardownTests(test, 'alma9', 'operator-edits', 'uefi');
