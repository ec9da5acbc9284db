import { errText } from '../lib/errors.ts';

/** The codes of the errors under undici's "fetch failed", found down its cause chain. */
function codesOf(err: unknown): string[] {
  const out: string[] = [];
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as never, i++)
    if (typeof e.code === 'string') out.push(e.code);
  return out;
}

/**
 * Why a master could not be reached, in words, with what to do: a refused connection, an unknown
 * host, a timeout, a certificate the client does not trust (say which CA to pass), a master that
 * speaks plain HTTP where TLS was asked. Pure.
 */
export function unreachableReason(err: unknown, master: string): string {
  const codes = codesOf(err);
  const text = errText(err);
  const has = (...c: string[]) => codes.some((x) => c.includes(x));
  if (has('ECONNREFUSED')) return `connection refused (is \`vigil master\` running there, on that port?)`;
  if (has('ENOTFOUND', 'EAI_AGAIN')) return `no such host (${new URL(master).hostname})`;
  if (has('ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT'))
    return 'no answer in time (a firewall, or the wrong address?)';
  if (has('ECONNRESET', 'UND_ERR_SOCKET')) return 'the connection was cut (a plain HTTP master, or a proxy?)';
  if (has('EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER') || /wrong version number/i.test(text))
    return 'it does not speak TLS there (the master is always https://)';
  if (has('ERR_TLS_CERT_ALTNAME_INVALID'))
    return `its certificate does not name ${new URL(master).hostname} (use the address the master was started with, or --tls-host on the master)`;
  if (
    has(
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      'CERT_SIGNATURE_FAILURE',
    ) ||
    /certificate|self.signed|verify/i.test(text)
  )
    return `its certificate is not trusted here (trust the master by its farm CA: --ca <master data>/pki/ca.pem, fetched from ${master}/api/v1/ca.pem)`;
  return text;
}
