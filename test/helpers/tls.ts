// A throwaway certificate authority and a server certificate for 127.0.0.1 and localhost, made with the openssl CLI
// (scripts/test.sh installs it where missing), for the wss:// stream tests; client certificates for mutual TLS, one
// signed by that CA and one by another; and the stream's transports as the
// tests run them: ZeroMQ, WebSocket, WebSocket over TLS, each with what its receiver and sender need.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const opensslFound = spawnSync("openssl", ["version"]).status === 0;

export interface TestTls {
  /** The CA's certificate (PEM file) that signed `cert`. */
  ca: string;
  cert: string;
  key: string;
  /** Another CA's certificate, which did not sign `cert`, and its key. */
  otherCa: string;
  otherCaKey: string;
  /** A sender's certificate and key for mutual TLS, signed by `ca`. */
  clientCert: string;
  clientKey: string;
  /** A sender's certificate and key signed by `otherCa`. */
  foreignClientCert: string;
  foreignClientKey: string;
}

const openssl = (dir: string, ...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });

function makeCa(dir: string, name: string): void {
  openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.pem`,
    "-days", "2", "-subj", `/CN=stem4d test ${name}`, "-addext", "basicConstraints=critical,CA:TRUE");
}

/** A leaf certificate `name`.pem with its key, signed by the CA `ca` (ca.pem, ca.key), for `extensions`. */
function makeLeaf(dir: string, name: string, ca: string, subject: string, extensions: string): void {
  openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject);
  writeFileSync(join(dir, `${name}.ext`), `${extensions}\nbasicConstraints=CA:FALSE\n`);
  openssl(dir, "x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-CAcreateserial",
    "-out", `${name}.pem`, "-days", "2", "-extfile", `${name}.ext`);
}

let made: TestTls | undefined;

/** The files (made once per test process, in a temporary folder). */
export function testTls(): TestTls {
  if (made) return made;
  const dir = mkdtempSync(join(tmpdir(), "stem4d-tls-"));
  makeCa(dir, "ca");
  makeCa(dir, "other-ca");
  makeLeaf(dir, "server", "ca", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1,DNS:localhost");
  makeLeaf(dir, "client", "ca", "/CN=stem4d test sender", "extendedKeyUsage=clientAuth");
  makeLeaf(dir, "foreign-client", "other-ca", "/CN=stem4d test foreign sender", "extendedKeyUsage=clientAuth");
  const at = (f: string) => join(dir, f);
  made = {
    ca: at("ca.pem"), cert: at("server.pem"), key: at("server.key"), otherCa: at("other-ca.pem"), otherCaKey: at("other-ca.key"),
    clientCert: at("client.pem"), clientKey: at("client.key"),
    foreignClientCert: at("foreign-client.pem"), foreignClientKey: at("foreign-client.key"),
  };
  return made;
}

export interface StreamTransport {
  scheme: "tcp" | "ws" | "wss";
  /** The receiver's options (StreamReceiver.bind) and the sender's (sendDataset), in process. */
  receiver: { tls?: { cert: string; key: string; clientCa?: string } };
  sender: { tls?: { ca: string; cert?: string; key?: string } };
  /** The same as `stem4d stream receive` and `stream send` flags. */
  receiveFlags: string[];
  sendFlags: string[];
}

/** Every transport of the stream; wss:// only where openssl can make its certificates. */
export function streamTransports(): StreamTransport[] {
  const plain = (scheme: "tcp" | "ws"): StreamTransport => ({ scheme, receiver: {}, sender: {}, receiveFlags: [], sendFlags: [] });
  if (!opensslFound) return [plain("tcp"), plain("ws")];
  const t = testTls();
  const pem = (f: string) => readFileSync(f, "utf8");
  return [plain("tcp"), plain("ws"), {
    scheme: "wss",
    receiver: { tls: { cert: pem(t.cert), key: pem(t.key) } },
    sender: { tls: { ca: pem(t.ca) } },
    receiveFlags: ["--tls-cert", t.cert, "--tls-key", t.key],
    sendFlags: ["--tls-ca", t.ca],
  }];
}

/** wss:// with client certificates (mutual TLS): the receiver accepts senders whose certificate the test CA signed,
 * and the sender presents one. */
export function mutualTlsTransport(): StreamTransport {
  const t = testTls();
  const pem = (f: string) => readFileSync(f, "utf8");
  return {
    scheme: "wss",
    receiver: { tls: { cert: pem(t.cert), key: pem(t.key), clientCa: pem(t.ca) } },
    sender: { tls: { ca: pem(t.ca), cert: pem(t.clientCert), key: pem(t.clientKey) } },
    receiveFlags: ["--tls-cert", t.cert, "--tls-key", t.key, "--tls-client-ca", t.ca],
    sendFlags: ["--tls-ca", t.ca, "--tls-cert", t.clientCert, "--tls-key", t.clientKey],
  };
}

/** The transports as [name, transport] rows for it.each / describe.each: "tcp://", "ws://", "wss://". */
export const byScheme = (): [string, StreamTransport][] => streamTransports().map((t) => [`${t.scheme}://`, t]);
