// The full pipeline on a centos7-flavoured lab node, and a second run that changes nothing.
import test from 'ava';
import { fullPipelineTests } from '../helpers/full-pipeline.ts';

fullPipelineTests(test, 'centos7');
