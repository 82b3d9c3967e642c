// The PEM files of a wss:// stream, read and checked before anything is bound or sent: the receiver's certificate
// and private key (--tls-cert, --tls-key) and the CA a sender trusts (--tls-ca). Each problem is one line naming
// the option and the file; Node's TLS layer would otherwise accept garbage as a CA without a word.
import { X509Certificate, createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { UsageError } from "./usage.js";

function readPem(path: string, flag: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`${flag} '${path}': cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/** Every certificate of a PEM file, parsed: at least one, or the error names the file. */
function certificates(pem: string, path: string, flag: string): X509Certificate[] {
  const blocks = pem.match(CERT_BLOCK) ?? [];
  if (!blocks.length) throw new Error(`${flag} '${path}': no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)`);
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (e) {
      throw new Error(`${flag} '${path}': certificate ${i + 1} of ${blocks.length} does not parse (${(e as Error).message})`);
    }
  });
}

/** --tls-ca FILE for a wss:// sender: the CA certificates (PEM) to trust. */
export function readTlsCa(path: string | undefined, to: string): string | undefined {
  if (path === undefined) return undefined;
  if (!/^wss:\/\//i.test(to)) throw new UsageError(`--tls-ca: only for a wss:// address, not '${to}'`);
  const pem = readPem(path, "--tls-ca");
  certificates(pem, path, "--tls-ca");
  return pem;
}

/** --tls-cert FILE and --tls-key FILE for a wss:// receiver: both or neither, and the key must be the certificate's. */
export function readTlsIdentity(
  certPath: string | undefined,
  keyPath: string | undefined,
  bind: string,
): { cert: string; key: string } | undefined {
  const wss = /^wss:\/\//i.test(bind);
  if (certPath === undefined && keyPath === undefined) {
    if (wss) throw new UsageError(`--bind '${bind}': wss:// needs --tls-cert FILE and --tls-key FILE (PEM)`);
    return undefined;
  }
  if (!wss) throw new UsageError(`--tls-cert/--tls-key: only for a wss:// address, not '${bind}'`);
  if (certPath === undefined || keyPath === undefined) throw new UsageError(`wss:// needs both --tls-cert FILE and --tls-key FILE`);
  const cert = readPem(certPath, "--tls-cert"), key = readPem(keyPath, "--tls-key");
  const [leaf] = certificates(cert, certPath, "--tls-cert");
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (e) {
    throw new Error(`--tls-key '${keyPath}': not a PEM private key (${(e as Error).message})`);
  }
  if (!leaf!.checkPrivateKey(privateKey)) {
    throw new Error(`--tls-key '${keyPath}' is not the private key of the certificate in --tls-cert '${certPath}'`);
  }
  return { cert, key };
}
