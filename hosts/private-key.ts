// Whether a private key file is encrypted (needs a passphrase we never ask for). Read from the
// file's own format: OpenSSH's "openssh-key-v1" (its cipher name, PROTOCOL.key: "none" when not
// encrypted), PEM with a `Proc-Type: 4,ENCRYPTED` header (ssh-keygen -m PEM), or PKCS#8
// "ENCRYPTED PRIVATE KEY". Anything else is left to ssh2 to judge.

const OPENSSH = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/;
const MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');

export type KeyProtection = 'encrypted' | 'plain' | 'unknown';

export function keyProtection(text: string): KeyProtection {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(text)) return 'encrypted';
  if (/^Proc-Type:\s*4,ENCRYPTED\s*$/m.test(text)) return 'encrypted';
  const openssh = OPENSSH.exec(text);
  if (openssh) {
    const blob = Buffer.from(openssh[1]!.replace(/\s+/g, ''), 'base64');
    if (blob.length < MAGIC.length + 4 || !blob.subarray(0, MAGIC.length).equals(MAGIC)) return 'unknown';
    const length = blob.readUInt32BE(MAGIC.length);
    const start = MAGIC.length + 4;
    if (start + length > blob.length) return 'unknown';
    return blob.subarray(start, start + length).toString('latin1') === 'none' ? 'plain' : 'encrypted';
  }
  if (/-----BEGIN (?:RSA |EC |DSA )?PRIVATE KEY-----/.test(text)) return 'plain';
  return 'unknown';
}
