// OpenSSH pattern lists (match.c at V_9_2_P1): `*` matches any run of characters, `?` exactly
// one, a leading `!` negates. Case matters except where OpenSSH lower-cases: `match_pattern` and
// `match_pattern_list(…, 0)` (ssh_config's Host lines, Match user/localuser, algorithm lists)
// compare as written; `match_hostname` (Match host/originalhost, known_hosts names) lower-cases
// both the name and the patterns.

function globToRegExp(glob: string): RegExp {
  const body = [...glob].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`);
}

/** match_pattern: whether one glob pattern (no negation) matches the whole name, case as written. */
export function matchGlob(name: string, glob: string): boolean {
  return globToRegExp(glob).test(name);
}

/**
 * match_pattern_list with dolower 0: true when some positive pattern matches and no negated one
 * does (a matching `!pattern` rules the name out whatever the order); case as written.
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

/** match_hostname: matchPatternList with the name and the patterns lower-cased. */
export function matchHostname(host: string, patterns: readonly string[]): boolean {
  return matchPatternList(host.toLowerCase(), patterns.map((p) => p.toLowerCase()));
}
