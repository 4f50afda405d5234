// The lab's API for tests, the demo and the benchmarks (see lab/README.md).
export { labUp, waitForNodesUp, type LabUpOptions } from './up.ts';
export { labDown } from './down.ts';
export { Interruption, currentInterruption } from './interrupt.ts';
export { labLineRate } from './network.ts';
export { labInfo, sshArgv, DEFAULT_LAB_DIR, type LabInfo, type LabNode } from './info.ts';
export {
  activeFaults,
  labExec,
  labFault,
  labReboot,
  mountedInit,
  nodePower,
  nodeSshdReadyAt,
  waitForNode,
  type ExecResult,
} from './control.ts';
export { FAULTS, FAULT_HELP, type Fault } from './faults.ts';
export type { PowerState, PowerPhase } from './power.ts';
export { FIRMWARES, FLAVOURS, isFlavour, type Firmware, type Flavour } from './layout.ts';
export { NIC_MODELS, DEFAULT_NIC, nicFacts } from './nics.ts';
export { benchWorkDir, suiteLabDir, sweepSuiteLabs, BENCH_WORK_PREFIX, SUITE_LAB_PREFIX } from './suite-labs.ts';
