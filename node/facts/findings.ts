// What bios-verify found wrong: each problem with the fix a person can make. All problems of a node
// are reported together, so one trip to the BIOS setup fixes them all.
import { FatalError } from '../../core/errors.ts';

export interface Problem {
  message: string;
  hint: string;
}

export function problemsError(node: string, problems: readonly Problem[]): FatalError {
  const [first] = problems;
  if (problems.length === 1 && first) return new FatalError(`${node}: ${first.message}`, { hint: first.hint });
  return new FatalError(`${node} is not fit for SR-IOV:\n${problems.map((p) => `- ${p.message}`).join('\n')}`, {
    hint: [...new Set(problems.map((p) => p.hint))].join('; '),
  });
}
