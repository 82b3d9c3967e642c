// The PEM files of a wss:// stream, read and checked before anything is bound or sent: the receiver's certificate
// and private key (--tls-cert, --tls-key), the CA a sender trusts (--tls-ca), and for mutual TLS the CA whose
// senders a receiver accepts (--tls-client-ca) and a sender's own certificate and key (--tls-cert, --tls-key).
// Each problem is one line naming the option and the file; Node's TLS layer would otherwise accept garbage as a CA
// without a word.
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

const isWss = (address: string) => /^wss:\/\//i.test(address);

/** A CA file for a wss:// address: --tls-ca (the CA a sender trusts) or --tls-client-ca (the CA that signs the
 * senders a receiver accepts); `flag` names it. */
export function readTlsCa(path: string | undefined, address: string, flag = "--tls-ca"): string | undefined {
  if (path === undefined) return undefined;
  if (!isWss(address)) throw new UsageError(`${flag}: only for a wss:// address, not '${address}'`);
  const pem = readPem(path, flag);
  certificates(pem, path, flag);
  return pem;
}

/** --tls-cert FILE and --tls-key FILE for a wss:// receiver (its certificate: both needed). */
export function readTlsIdentity(certPath: string | undefined, keyPath: string | undefined, bind: string): { cert: string; key: string } | undefined {
  if (certPath === undefined && keyPath === undefined && isWss(bind)) {
    throw new UsageError(`--bind '${bind}': wss:// needs --tls-cert FILE and --tls-key FILE (PEM)`);
  }
  return readKeyPair(certPath, keyPath, bind, "wss:// needs both --tls-cert FILE and --tls-key FILE");
}

/** --tls-cert FILE and --tls-key FILE for a wss:// sender (what it presents to a receiver that asks: optional). */
export function readTlsClientIdentity(certPath: string | undefined, keyPath: string | undefined, to: string): { cert: string; key: string } | undefined {
  return readKeyPair(certPath, keyPath, to, "a sender's certificate needs both --tls-cert FILE and --tls-key FILE");
}

/** --tls-cert and --tls-key: both or neither, only for wss://, and the key must be the certificate's. */
function readKeyPair(certPath: string | undefined, keyPath: string | undefined, address: string, both: string): { cert: string; key: string } | undefined {
  if (certPath === undefined && keyPath === undefined) return undefined;
  if (!isWss(address)) throw new UsageError(`--tls-cert/--tls-key: only for a wss:// address, not '${address}'`);
  if (certPath === undefined || keyPath === undefined) throw new UsageError(both);
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
