// Quoting for POSIX sh, the shell every node has (sshd runs the command through the user's shell,
// and we never rely on bash features). Single quotes make every character literal except the quote
// itself, which is closed, escaped and reopened.

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One argument as a POSIX sh word that the shell hands to the program unchanged. */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) throw new Error('a shell argument cannot contain a NUL byte');
  if (arg !== '' && SAFE.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** An argv as one command line: every element quoted, nothing interpreted by the shell. */
export function commandLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty command');
  return argv.map(shellQuote).join(' ');
}

/** `env K=V ... argv` so a remote command gets an environment without any shell expansion. */
export function withEnv(argv: readonly string[], env: Readonly<Record<string, string>> | undefined): string[] {
  if (!env || Object.keys(env).length === 0) return [...argv];
  const assignments = Object.entries(env).map(([k, v]) => {
    checkEnvName(k);
    return `${k}=${v}`;
  });
  return ['env', ...assignments, ...argv];
}

/**
 * The line a node's login shell runs for `argv` with `env` added: `export K=V; ... exec ARGV`.
 * The shell puts the program in its own place: no fork of the shell (it forks to run a command with
 * a redirection, and ours carry `</dev/null`) and no `env` program in between, two of the three
 * processes a command cost the node. POSIX sh, dash, bash (also 4.2) and busybox sh export the
 * values, and a program not found ends the shell with 127 as before.
 */
export function remoteCommandLine(argv: readonly string[], env: Readonly<Record<string, string>> | undefined): string {
  return `${envExports(env)}exec ${commandLine(argv)}`;
}

/** `export K=V; ` for each variable (empty without any), the values quoted. */
export function envExports(env: Readonly<Record<string, string>> | undefined): string {
  return Object.entries(env ?? {})
    .map(([k, v]) => {
      checkEnvName(k);
      return `export ${k}=${shellQuote(v)}; `;
    })
    .join('');
}

/** Throws unless `name` is a portable environment variable name (what `env` and sh accept). */
export function checkEnvName(name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid environment variable name: ${JSON.stringify(name)}`);
}
