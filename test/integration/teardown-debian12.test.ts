// Teardown on a debian12 lab node, with files the operator edited after provisioning (kept, named).
import test from 'ava';
import { teardownTests } from '../helpers/teardown-tests.ts';

teardownTests(test, 'debian12', 'operator-edits');
