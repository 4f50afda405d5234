// What to tell the operator when lxc-create's template fails, from what the template printed.
// The download templates say "Failed to download the rootfs, aborting." (lxc-centos, lxc-fedora)
// or "ERROR: Failed to download ..." (lxc-download) when their mirror does not answer.

/** CentOS 7's packages since its end of life (2024-06-30): mirrorlist.centos.org is switched off. */
export const CENTOS7_VAULT = 'https://vault.centos.org/7.9.2009/os/x86_64/';
/** AlmaLinux 9's BaseOS: what the centos template needs with --release 9 (it has no EL 9 mirrorlist of its own). */
export const ALMA9_BASEOS = 'https://repo.almalinux.org/almalinux/9/BaseOS/x86_64/os/';

/** The value of a template option given as `--opt V`, `--opt=V` or a short `-o V`. */
function optionValue(args: readonly string[], long: string, short?: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === long || (short !== undefined && a === short)) return args[i + 1];
    if (a.startsWith(`${long}=`)) return a.slice(long.length + 1);
  }
  return undefined;
}

export function templateFailureHint(template: string, templateArgs: readonly string[], output: string): string {
  if (!/Failed to download/i.test(output)) {
    return `the ${template} template failed: see its output above; templates that download need the network (lxc-create -t download)`;
  }
  if (template === 'centos' && optionValue(templateArgs, '--repo') === undefined) {
    const release = optionValue(templateArgs, '--release', '-R') ?? '7';
    const asks = 'the centos template could not download its packages: without --repo it asks mirrorlist.centos.org, switched off since CentOS 7\'s end of life (2024); ';
    if (release === '7') {
      return `${asks}give it the CentOS vault: templateArgs: [--release, "7", --repo, ${CENTOS7_VAULT}] (or a mirror of your own), or use lxc-create -t download`;
    }
    const example = release === '9' ? `, e.g. AlmaLinux 9's: templateArgs: [--release, "9", --repo, ${ALMA9_BASEOS}]` : '';
    return `${asks}give it --repo with a repository of release ${release} that the node reaches${example}, or use lxc-create -t download`;
  }
  return `the ${template} template could not download its rootfs: check that the node reaches its mirror${templateArgs.length > 0 ? ` (template arguments: ${templateArgs.join(' ')})` : ''} and any proxy it needs`;
}
