// Real processes for the shard tests: redis-server on a free loopback port (no persistence), `stem4d worker` and
// coordinator processes whose stderr is collected with the time each line arrived.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createConnection } from "node:net";
import { CLI } from "../helpers/cli.js";
import { freePort } from "../helpers/net.js";

export const hasRedis = spawnSync("redis-server", ["--version"]).status === 0;

export async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 20_000, every = 50): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

async function ping(port: number, password?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ port, host: "127.0.0.1" }, () => c.write(password ? `AUTH ${password}\r\nPING\r\n` : "PING\r\n"));
    c.once("data", (d) => { c.destroy(); resolve(/\+PONG|\+OK/.test(d.toString())); });
    c.once("error", () => resolve(false));
  });
}

export interface RedisServer {
  port: number;
  url: string;
  proc: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startRedis(...args: string[]): Promise<RedisServer> {
  const port = await freePort();
  const proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...args], { stdio: "ignore" });
  const pass = args.includes("--requirepass") ? args[args.indexOf("--requirepass") + 1] : undefined;
  await until("redis-server", () => ping(port, pass));
  return { port, url: `redis://127.0.0.1:${port}`, proc, stop: (signal = "SIGTERM") => stopProcess(proc, signal) };
}

export function stopProcess(proc: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once("exit", () => resolve());
    proc.kill(signal);
  });
}

/** A process of the built CLI with its stderr lines timed. */
export interface CliProcess {
  proc: ChildProcess;
  stderr(): string;
  stdout(): string;
  /** Milliseconds since start at which the first line matching `re` arrived (waits for it). */
  line(re: RegExp, ms?: number): Promise<{ text: string; at: number }>;
  exit(): Promise<{ status: number | null; signal: NodeJS.Signals | null; at: number }>;
}

export function cli(args: string[], o: { cwd?: string } = {}): CliProcess {
  const t0 = Date.now();
  const proc = spawn(process.execPath, [CLI, ...args], { cwd: o.cwd, stdio: ["ignore", "pipe", "pipe"] });
  const lines: { text: string; at: number }[] = [];
  let err = "", out = "", partial = "";
  proc.stdout!.on("data", (d) => { out += d.toString(); });
  proc.stderr!.on("data", (d) => {
    err += d.toString();
    partial += d.toString();
    const parts = partial.split("\n");
    partial = parts.pop()!;
    for (const text of parts) lines.push({ text, at: Date.now() - t0 });
  });
  const exited = new Promise<{ status: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    proc.once("exit", (status, signal) => resolve({ status, signal, at: Date.now() - t0 }));
  });
  return {
    proc,
    stderr: () => err,
    stdout: () => out,
    async line(re, ms = 60_000) {
      let found: { text: string; at: number } | undefined;
      await until(`a line matching ${re} from stem4d ${args[0]} (stderr so far: ${err.slice(-400)})`, () => (found = lines.find((l) => re.test(l.text))) !== undefined, ms);
      return found!;
    },
    exit: () => exited,
  };
}

/** A `stem4d worker` serving `url`, ready once it says so. */
export async function startWorker(url: string, o: { cwd?: string; queue?: string; threads?: number } = {}): Promise<CliProcess> {
  const w = cli(["worker", "--redis", url, "--workers", String(o.threads ?? 0), ...(o.queue ? ["--queue", o.queue] : [])], { cwd: o.cwd });
  await w.line(/serving/);
  return w;
}
