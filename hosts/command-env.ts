// The environment every command the tool runs on a node gets, over SSH and locally alike. Output
// and messages are matched as the C locale prints them (`stat -c %F` → "directory", "No such file
// or directory"), and a node may hand its commands another language: Debian's and Ubuntu's sshd
// accept the client's LANG and LC_* (AcceptEnv), /etc/default/locale sets the node's own.
// LC_ALL overrides LANG and every LC_*; gettext ignores LANGUAGE in the C locale.

/** `env` with the C locale; the caller's own variables are kept. */
export function commandEnv(env: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return { LC_ALL: 'C', ...env };
}
