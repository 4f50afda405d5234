// OpenSSH host pattern lists, as used by `Host` lines of ssh_config and by known_hosts entries:
// `*` matches any run of characters, `?` exactly one, a leading `!` negates. Host names compare
// case-insensitively (OpenSSH lower-cases both sides).

function globToRegExp(glob: string): RegExp {
  const body = [...glob].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 'i');
}

/** Whether one glob pattern (no negation) matches the whole name. */
export function matchGlob(name: string, glob: string): boolean {
  return globToRegExp(glob).test(name);
}

/**
 * OpenSSH `match_pattern_list`: true when some positive pattern matches and no negated one does
 * (a matching `!pattern` rules the name out whatever the order).
 */
export function matchPatternList(name: string, patterns: readonly string[]): boolean {
  let positive = false;
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) {
      if (matchGlob(name, pattern.slice(1))) return false;
    } else if (matchGlob(name, pattern)) {
      positive = true;
    }
  }
  return positive;
}
