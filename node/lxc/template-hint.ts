// What to tell the operator when lxc-create's template fails, from what the template printed.
// The download templates say "Failed to download the rootfs, aborting." (lxc-centos, lxc-fedora)
// or "ERROR: Failed to download ..." (lxc-download) when their mirror does not answer.

/** CentOS 7's packages since its end of life (2024-06-30): mirrorlist.centos.org is switched off. */
export const CENTOS7_VAULT = 'https://vault.centos.org/7.9.2009/os/x86_64/';

export function templateFailureHint(template: string, templateArgs: readonly string[], output: string): string {
  if (!/Failed to download/i.test(output)) {
    return `the ${template} template failed: see its output above; templates that download need the network (lxc-create -t download)`;
  }
  const release = templateArgs[templateArgs.findIndex((a) => a === '--release' || a === '-R') + 1];
  if (template === 'centos' && !templateArgs.includes('--repo')) {
    return `the centos template could not download its packages: it asks mirrorlist.centos.org, switched off since CentOS ${release ?? '7'}'s end of life; ` +
      `give it the CentOS vault: templateArgs: [--release, "7", --repo, ${CENTOS7_VAULT}] (or a mirror of your own), or use lxc-create -t download`;
  }
  return `the ${template} template could not download its rootfs: check that the node reaches its mirror${templateArgs.length > 0 ? ` (template arguments: ${templateArgs.join(' ')})` : ''} and any proxy it needs`;
}
