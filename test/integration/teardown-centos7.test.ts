// Teardown on a centos7 lab node, killed -9 at a stage boundary and during its reboot, then resumed.
import test from 'ava';
import { teardownTests } from '../helpers/teardown-tests.ts';

teardownTests(test, 'centos7', 'kills');
