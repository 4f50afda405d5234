// provision's and teardown's options come from one table (cli/options.ts): each --help lists exactly
// the options its parser takes, the shared blocks read alike, and an option of the other workflow is
// refused by name.
import test from 'ava';
import { OPTIONS } from '../../../cli/options.ts';
import { HELP, parseProvisionArgs, resumeArgs } from '../../../cli/provision-args.ts';
import { TEARDOWN_HELP, parseTeardownArgs } from '../../../cli/teardown-args.ts';
import { UsageError } from '../../../core/errors.ts';

/** The flags a --help text lists at the start of its option lines. */
const listed = (help: string): string[] => [...help.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]!).sort();

/** Whether the parser takes `--flag` (with a value where it needs one). */
function takes(parse: (argv: string[]) => unknown, flag: string): boolean {
  const o = OPTIONS.find((x) => `--${x.name}` === flag)!;
  const value = { reset: 'bios-verify', renderer: 'simple', 'bench-profile': 'quick', 'max-fail-percent': '10' }[o.name] ?? (o.type === 'string' ? '3' : undefined);
  try {
    parse(value === undefined ? [flag] : [flag, value]);
    return true;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return false;
  }
}

test('each --help lists exactly the options its parser takes', (t) => {
  const all = OPTIONS.map((o) => `--${o.name}`);
  for (const [help, parse] of [[HELP, parseProvisionArgs], [TEARDOWN_HELP, parseTeardownArgs]] as const) {
    t.deepEqual(listed(help), all.filter((flag) => takes(parse, flag)).sort());
  }
  t.true(listed(HELP).includes('--adopt'));
  t.false(listed(TEARDOWN_HELP).includes('--adopt'));
  t.true(listed(TEARDOWN_HELP).includes('--keep-containers'));
});

test('the Hosts block is the same text in both --help texts', (t) => {
  const block = (help: string) => /^Hosts\n[\s\S]*?\n\n/m.exec(help)?.[0];
  t.truthy(block(HELP));
  t.is(block(TEARDOWN_HELP), block(HELP));
});

test('an option of provision is refused by teardown, naming it', (t) => {
  for (const flag of ['--bench-profile', '--adopt', '--allow-vf-resize']) {
    const e = t.throws(() => parseTeardownArgs([flag]), { instanceOf: UsageError });
    t.regex(e!.message, new RegExp(`^${flag}: an option of provision, not of teardown`));
  }
  t.throws(() => parseProvisionArgs(['--keep-containers']), { instanceOf: UsageError, message: '--keep-containers: an option of teardown, not of provision' });
});

test('--adopt reaches the args and the resumed on-node run', (t) => {
  const a = parseProvisionArgs(['--adopt', '--local', '--host', 'n1']);
  t.true(a.adopt);
  t.true(resumeArgs(a).includes('--adopt'));
  t.false(parseProvisionArgs([]).adopt);
});
