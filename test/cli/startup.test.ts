// Start-up work of the CLI, counted in modules loaded rather than timed: --version and --help load no command
// module, and a command loads its own module and none of another command's packages.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CLI, cliBuilt, stem4d } from "../helpers/cli.js";

/** Every module URL a run of the CLI with these arguments loads (through a module-resolution hook). */
function modulesLoaded(...args: string[]): { status: number; stdout: string; urls: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "stem4d-startup-"));
  const hooks = join(dir, "hooks.mjs"), preload = join(dir, "preload.mjs");
  writeFileSync(hooks, `export async function resolve(spec, ctx, next) {
  const r = await next(spec, ctx);
  if (!r.url.startsWith("node:")) process.stderr.write("LOADED " + r.url + "\\n");
  return r;
}\n`);
  const register = `register(${JSON.stringify(pathToFileURL(hooks).href)});`;
  writeFileSync(preload, `import { register } from "node:module";\n${register}\n`);
  const r = spawnSync(process.execPath, ["--import", pathToFileURL(preload).href, CLI, ...args], { encoding: "utf8" });
  const urls = [...r.stderr.matchAll(/^LOADED (.*)$/gm)].map((m) => m[1]!);
  return { status: r.status ?? -1, stdout: r.stdout, urls: [...new Set(urls)] };
}

const commandModules = (urls: string[]) => urls.filter((u) => /\/cli\/commands\/(?!index\.js)[^/]+\.js$/.test(u));
const packageOf = (u: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? [];
const packages = (urls: string[]) => [...new Set(urls.flatMap(packageOf))];

describe.skipIf(!cliBuilt)("CLI start-up", () => {
  it("--version and --help load commander and the command table only", () => {
    for (const flag of ["--version", "--help"]) {
      const r = modulesLoaded(flag);
      expect(r.status).toBe(0);
      expect(commandModules(r.urls)).toEqual([]);
      expect(packages(r.urls)).toEqual(["commander"]);
      expect(r.urls.filter((u) => /\/(bindings|codec)\//.test(u))).toEqual([]);
    }
    expect(modulesLoaded("--help").stdout).toMatch(/analyze <file> +the paper's pipeline/);
  });

  it("a command loads its own module, and help NAME that command's, with its options", () => {
    const info = modulesLoaded("info", "--help");
    expect(commandModules(info.urls).map((u) => u.split("/").pop())).toEqual(expect.arrayContaining(["info.js"]));
    expect(commandModules(info.urls).map((u) => u.split("/").pop())).not.toContain("analyze.js");
    for (const heavy of ["bullmq", "zeromq", "ioredis"]) expect(packages(info.urls)).not.toContain(heavy);
    const help = modulesLoaded("help", "kmeans");
    expect(help.stdout).toMatch(/--replicates/);
    expect(commandModules(help.urls).map((u) => u.split("/").pop())).toContain("kmeans.js");
  });

  it("a computing command that stops before computing exits at once, its early-started workers closed", () => {
    for (const args of [["virtual", "no-such-file.npy", "--bf", "3", "-o", "x.npy"], ["virtual", "x.npy", "--workers", "abc"],
      ["kmeans", "no-such-scores.npy", "-o", "out", "--workers=1"]]) {
      const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 30_000 });
      expect(r.signal, args.join(" ")).toBeNull(); // not killed by the timeout: nothing kept the process alive
      expect(r.status, args.join(" ")).not.toBe(0);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
  });

  it("stream send loads neither the receiver's modules nor the ws package", () => {
    const data = join(mkdtempSync(join(tmpdir(), "stem4d-startup-")), "small.npy");
    expect(stem4d("simulate", "-o", data, "--scan", "2,2", "--detector", "8,8", "-q").status).toBe(0);
    // Nobody listens there: the sender connects, tries again and gives up after a second.
    const r = modulesLoaded("stream", "send", data, "--to", "ws://127.0.0.1:9", "--timeout", "1", "--silence", "1", "-q");
    expect(r.status).toBe(1);
    const mine = r.urls.filter((u) => /\/dist\//.test(u)).map((u) => u.replace(/.*\/dist\//, ""));
    expect(mine).toEqual(expect.arrayContaining(["cli/stream-send-run.js", "bindings/scale/node-websocket.js"]));
    for (const other of ["cli/stream-receive-run.js", "bindings/scale/stream-receive.js", "cli/live-ptycho.js", "bindings/scale/analyses.js",
      "bindings/analyses/ssb.js", "cli/commands/shard.js"]) expect(mine, other).not.toContain(other);
    expect(packages(r.urls)).toEqual(["commander"]);
  });

  it("a command imports the library's parts it uses, not the whole entry", () => {
    const r = modulesLoaded("virtual", "--help");
    expect(r.status).toBe(0);
    const lib = r.urls.filter((u) => /\/dist\/bindings\//.test(u)).map((u) => u.replace(/.*\/dist\/bindings\//, ""));
    expect(lib).toContain("analyses/virtual.js");
    expect(lib).not.toContain("index.js");
    expect(lib).not.toContain("node.js");
    for (const other of ["analyses/pca.js", "analyses/kmeans.js", "analyses/analyze.js", "figures/report.js", "analyses/ssb.js"]) {
      expect(lib, other).not.toContain(other);
    }
  });
});
