// The full pipeline on a debian12-flavoured lab node, and a second run that changes nothing.
import test from 'ava';
import { fullPipelineTests } from '../helpers/full-pipeline.ts';

fullPipelineTests(test, 'debian12');
