// The host is never the node, and a node-side script never goes on past a failed step: every
// script of lab/node that runs (the shims in bin/ and sbin/, the LXC template, init and install)
// starts with `set -eu`, before anything else but its traps, and its next step is the node guard
// (lib/node-guard.sh, directly or through lib/common.sh). GRUB's scripts in grub.d run inside GRUB's
// own grub-mkconfig, which sources grub-mkconfig_lib (not written for -u: it tests unset variables),
// so they start with `set -e`, as GRUB's own /etc/grub.d scripts do. Nothing turns -u off; only
// init turns -e off, after the node's mounts and the guard, for the rest of the boot (a failing
// step is logged and the boot goes on, like systemd's).
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const NODE_SRC = fileURLToPath(new URL('../../../lab/node', import.meta.url));

/** Every script of lab/node that is run (has a `#!/bin/sh` line), by its path under lab/node. */
function nodeScripts(dir = NODE_SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return nodeScripts(path);
    return readFileSync(path, 'utf8').startsWith('#!/bin/sh\n') ? [relative(NODE_SRC, path)] : [];
  });
}

/** The script's commands, one a line, without comments, blank lines and heredoc bodies. */
function commands(text: string): string[] {
  const out: string[] = [];
  let heredoc: string | undefined;
  for (const line of text.split('\n').slice(1)) {
    if (heredoc !== undefined) {
      if (line.trim() === heredoc) heredoc = undefined;
      continue;
    }
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    out.push(trimmed);
    heredoc = /<<-?\s*'?"?(\w+)/.exec(trimmed)?.[1];
  }
  return out;
}

/** What is wrong with one script's strictness, or an empty list. */
function strictnessProblems(name: string, text: string): string[] {
  const problems: string[] = [];
  const cmds = commands(text);
  const grub = name.startsWith('grub.d/');
  const first = cmds.findIndex((c) => !c.startsWith('trap '));
  const want = grub ? 'set -e' : 'set -eu';
  if (cmds[first] !== want) problems.push(`${name}: its first command is "${cmds[first]}", not "${want}"`);
  const next = cmds[first + 1] ?? '';
  const guarded = /^\. "?(\/usr\/lib\/sriov-lab|\$LAB_SRC)\/lib\/(common|node-guard)\.sh"?$/.test(next);
  // GRUB's menu-only scripts print a fixed text and write nothing: no guard needed.
  const writes = !grub || /(>|mkdir|sed -i)/.test(cmds.join('\n'));
  if (writes && !guarded) problems.push(`${name}: its second command is "${next}", not the node guard (lib/common.sh or lib/node-guard.sh)`);
  for (const c of cmds) {
    if (/^set\b.*\+[a-z]*u/.test(c)) problems.push(`${name}: "${c}" turns -u off`);
    if (/^set\b.*\+[a-z]*e/.test(c) && !(name === 'init.sh' && cmds.indexOf(c) > cmds.indexOf('require_node'))) {
      problems.push(`${name}: "${c}" turns -e off`);
    }
  }
  return problems;
}

test('every node-side script runs with set -eu (GRUB scripts: set -e) and the node guard first', (t) => {
  const scripts = nodeScripts();
  // The shims of bin/ and sbin/, the LXC template, init, install and GRUB's scripts are all found.
  t.true(scripts.filter((s) => s.startsWith('bin/') || s.startsWith('sbin/')).length >= 20, scripts.join(' '));
  for (const s of ['init.sh', 'install.sh', 'lxc/lxc-sriov-lab', 'grub.d/el9-10_linux', 'bin/ip', 'sbin/kbuild']) t.true(scripts.includes(s), s);
  t.deepEqual(
    scripts.flatMap((s) => strictnessProblems(s, readFileSync(join(NODE_SRC, s), 'utf8'))),
    [],
  );
});

test('sourced node-side libraries never turn -e or -u off', (t) => {
  const lib = join(NODE_SRC, 'lib');
  for (const f of readdirSync(lib)) {
    for (const c of commands(`\n${readFileSync(join(lib, f), 'utf8')}`)) t.notRegex(c, /^set\b.*\+[a-z]*[eu]/, `lib/${f}`);
  }
});

test('the strictness check catches a script without set -eu, with -u turned off, or with the guard late', (t) => {
  const good = '#!/bin/sh\n# a shim\nset -eu\n. /usr/lib/sriov-lab/lib/common.sh\necho hi > /run/x\n';
  t.deepEqual(strictnessProblems('bin/x', good), []);
  t.regex(strictnessProblems('bin/x', good.replace('set -eu\n', '')).join(), /first command is "\. \/usr\/lib\/sriov-lab\/lib\/common\.sh", not "set -eu"/);
  t.regex(strictnessProblems('bin/x', good.replace('set -eu', 'set -e')).join(), /not "set -eu"/);
  t.regex(strictnessProblems('bin/x', `${good}set +u\n`).join(), /turns -u off/);
  t.regex(strictnessProblems('bin/x', `${good}set +e\n`).join(), /turns -e off/);
  t.regex(strictnessProblems('bin/x', good.replace('. /usr', 'mkdir -p /run/y\n. /usr')).join(), /not the node guard/);
  t.regex(strictnessProblems('grub.d/x', '#!/bin/sh\nset -e\nmkdir -p /etc/kernel\n').join(), /not the node guard/);
  t.deepEqual(strictnessProblems('grub.d/x', "#!/bin/sh\nset -e\ncat << 'EOF'\nmenuentry x > y\nEOF\n"), []);
});
