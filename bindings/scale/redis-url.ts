// Node-only (scale-out). The Redis a coordinator and its workers share: its URL checked and shown without the
// password, and a handshake that answers within a bounded time (BullMQ's ioredis would retry forever, silently).
import { createConnection } from "node:net";
import type { ConnectionOptions } from "bullmq";

/** A malformed --redis URL: the CLI exits with status 2, as for any option error. */
export class RedisUrlError extends Error {}

export interface RedisTarget {
  /** The URL as it may be printed: any password replaced by "***". */
  display: string;
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
}

/** Parses redis://[user[:password]@]host[:port][/db]; the database index is honoured (checked by probeRedis). */
export function parseRedisUrl(url: string): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RedisUrlError(`--redis: '${redactUrl(url)}' is not a URL (expected redis://host:port)`);
  }
  const display = redactUrl(url);
  if (u.protocol !== "redis:") throw new RedisUrlError(`--redis: '${display}' is not a redis:// URL (rediss:// is not supported)`);
  if (!u.hostname) throw new RedisUrlError(`--redis: '${display}' names no host`);
  const path = u.pathname.replace(/^\//, "");
  if (!/^\d*$/.test(path)) throw new RedisUrlError(`--redis: database '${path}' in '${display}' is not a number (expected redis://host:port/DB)`);
  const port = u.port ? Number(u.port) : 6379;
  return {
    display, host: u.hostname.replace(/^\[|\]$/g, ""), port, db: path ? Number(path) : 0,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
  };
}

/** The URL with its password (if any) replaced by "***": what logs and errors show. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*:)[^@/]*@/i, "$1***@");
}

/** ioredis options for BullMQ: blocking commands must not be cut short by a retry limit. */
export function bullConnection(t: RedisTarget): ConnectionOptions {
  return {
    host: t.host, port: t.port, db: t.db, maxRetriesPerRequest: null,
    ...(t.username ? { username: t.username } : {}), ...(t.password ? { password: t.password } : {}),
  };
}

/** Connects, authenticates, selects the database and pings, all within `ms`: one clear error for nothing listening,
 * a listener that is not Redis, a missing or wrong password, or a database the server does not have. */
export async function probeRedis(t: RedisTarget, ms = 5000): Promise<void> {
  const commands: string[][] = [];
  if (t.password !== undefined) commands.push(t.username ? ["AUTH", t.username, t.password] : ["AUTH", t.password]);
  if (t.db !== 0) commands.push(["SELECT", String(t.db)]);
  commands.push(["PING"]);
  const replies = await exchange(t, commands, ms);
  replies.forEach((reply, i) => {
    if (!reply.startsWith("-")) return;
    const what = commands[i]![0];
    if (/^-NOAUTH/.test(reply)) throw new Error(`Redis at ${t.display} needs a password (${reply.slice(1)}): give redis://:PASSWORD@host:port`);
    if (what === "AUTH") throw new Error(`Redis at ${t.display} refused the password (${reply.slice(1)})`);
    if (what === "SELECT") throw new Error(`Redis at ${t.display} has no database ${t.db} (${reply.slice(1)})`);
    throw new Error(`Redis at ${t.display} answered ${what} with an error: ${reply.slice(1)}`);
  });
}

function exchange(t: RedisTarget, commands: string[][], ms: number): Promise<string[]> {
  const wire = commands.map((c) => `*${c.length}\r\n${c.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`).join("");
  return new Promise((resolve, reject) => {
    const sock = createConnection({ host: t.host, port: t.port });
    let text = "";
    const done = (e?: Error, replies?: string[]) => {
      sock.destroy();
      clearTimeout(timer);
      if (e) reject(e);
      else resolve(replies!);
    };
    const timer = setTimeout(() => done(new Error(`no answer from Redis at ${t.display} within ${ms / 1000} s (is a Redis server listening there?)`)), ms);
    sock.once("error", (e: NodeJS.ErrnoException) => done(new Error(`cannot reach Redis at ${t.display}: ${e.code ?? e.message}`)));
    sock.once("connect", () => sock.write(wire));
    sock.on("data", (d) => {
      text += d.toString("latin1");
      if (!/^[+-]/.test(text)) return done(new Error(`the server at ${t.display} is not Redis (it answered '${printable(text)}')`));
      const lines = text.split("\r\n");
      if (lines.length > commands.length) done(undefined, lines.slice(0, commands.length));
    });
    sock.once("end", () => done(new Error(`Redis at ${t.display} closed the connection${text ? ` after '${printable(text)}'` : ""}`)));
  });
}

const printable = (s: string) => s.slice(0, 40).replace(/[^\x20-\x7e]/g, "?");
