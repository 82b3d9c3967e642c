// `stream receive --ptycho`: single-side-band ptychography accumulated as the frames arrive. The parameters come
// from the options, else from the series' calibration (the container header the sender sent), the disk centre also
// from the sender's; the running object (the frames reduced so far) is written every --ptycho-every seconds from a
// copy of the running state, and at the end the files `stem4d ptycho` writes for the received container.
import { join } from "node:path";
import type { ContainerMetadata } from "../codec/container-format.js";
import type { VirtualImages } from "../bindings/analyses/virtual.js";
import { SUM_BYTES, joinSsbResults, withBrightField, type SsbResult } from "../bindings/analyses/ssb.js";
import { checkSsbParameters } from "../bindings/analyses/ssb-plan.js";
import { ptychoReduction, type PtychoMethod, type WddParameters } from "../bindings/analyses/wdd.js";
import type { Reduction } from "../bindings/reduction.js";
import type { Layout } from "../bindings/scale/stream-receive.js";
import type { LiveReducer } from "../bindings/scale/stream-reduce.js";
import type { SeriesMessage } from "../bindings/scale/protocol.js";
import { UsageError } from "./common.js";
import { statedProbe } from "./probe-options.js";
import type { LivePtychoFlags } from "./live-ptycho-options.js";
import { parseMethod, parseWiener, writePhaseMap, writeSsbFiles } from "./ssb-files.js";

export class LivePtycho {
  readonly dir: string;
  private readonly everyMs: number;
  private readonly wiener: number;
  private readonly epsilon?: number;
  readonly method: PtychoMethod;
  private params?: WddParameters;
  /** Where its two reductions sit in the receiver's list. */
  private at = 0;
  private lastWrite = performance.now();
  /** Running objects written, and the frames the last one held. */
  snapshots = 0;
  snapshotFrames = 0;
  warnings: string[] = [];

  constructor(output: string, private readonly flags: LivePtychoFlags, private readonly say: (line: string) => void) {
    this.dir = join(output, "ptycho");
    const every = Number(flags.ptychoEvery);
    if (flags.ptychoEvery.trim() === "" || !(every > 0)) {
      throw new UsageError(`--ptycho-every: expected a positive number of seconds, got '${flags.ptychoEvery}'`);
    }
    this.everyMs = every * 1000;
    this.wiener = parseWiener(flags.wiener);
    this.epsilon = flags.epsilon === undefined ? undefined : parseWiener(flags.epsilon, "--epsilon");
    this.method = parseMethod(flags.ptycho === true ? "ssb" : String(flags.ptycho));
  }

  /** The reductions for the series (placed at `at` in the receiver's list); a UsageError names what is missing. */
  reductions(layout: Layout, series: SeriesMessage, metadata: ContainerMetadata, at: number): Reduction<unknown>[] {
    const name = `series "${series.series}"`;
    if (layout.shape.length !== 4) {
      throw new UsageError(`${name}: SSB needs a 2D scan of 2D patterns; shape is [${layout.shape.join(", ")}]`);
    }
    const probe = statedProbe({ calibration: metadata.calibration, source: { name } }, this.flags, name, true);
    if (probe.missing.includes("mradPerPixel")) {
      throw new UsageError(`${name} does not say the detector pixel size: give --mrad-per-pixel (mrad per detector `
        + "pixel; live SSB cannot fit it from the disk before the frames are there)");
    }
    if (!probe.frameKnown) {
      throw new UsageError(`${name} does not say the scan rotation: give --rotation (degrees; and --flip if the scan `
        + "axes are transposed): live SSB needs it before the frames are there (`stem4d dpc` finds it on a "
        + "recorded file)");
    }
    const center = probe.center ?? series.center;
    if (!center) throw new UsageError(`${name} carries no pattern centre; give --center`);
    const p: WddParameters = {
      ...probe.params, center: { cy: center.cy, cx: center.cx }, wiener: this.wiener, epsilon: this.epsilon,
    };
    try {
      this.warnings = checkSsbParameters(layout.shape, p, name);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    for (const w of this.warnings) this.say(`warning: ${w}`);
    this.params = p;
    this.at = at;
    const { reduction, tables } = ptychoReduction(this.method, p, layout.shape);
    return withBrightField(reduction, tables) as Reduction<unknown>[];
  }

  /** After frames arrived: once --ptycho-every has passed since the last write, reduces the whole tiles arrived and
   * writes the running phase from a copy of the running state. */
  async onFrames(reducer: LiveReducer): Promise<void> {
    if (!this.params || performance.now() - this.lastWrite < this.everyMs) return;
    await reducer.reduceArrived();
    // Nothing new since the last write, or every frame (finish() writes the whole result).
    if (reducer.framesReduced === this.snapshotFrames || reducer.framesReduced === reducer.framesTotal) return;
    const r = reducer.snapshot(this.at) as SsbResult;
    await this.writeRunning(r, `${reducer.framesReduced} of ${reducer.framesTotal} frames`);
    this.snapshotFrames = reducer.framesReduced;
    this.snapshots++;
    this.lastWrite = performance.now();
  }

  /** The final files from the receiver's results (its whole list). */
  async finish(results: unknown[]): Promise<Record<string, unknown>> {
    const p = this.params!, r = joinSsbResults(results.slice(this.at, this.at + 2) as [SsbResult, VirtualImages]);
    await writeSsbFiles(this.dir, r, p, this.method.toUpperCase());
    await this.writeRunning(r, "all frames");
    return {
      output: this.dir, method: this.method, kv: p.kv, alphaMrad: p.alphaMrad, stepA: p.stepA,
      mradPerPixel: p.mradPerPixel, center: p.center, rotationDeg: p.rotationDeg, flip: p.flip, defocusA: p.defocusA,
      c3mm: p.c3mm, wiener: p.wiener, epsilon: p.epsilon,
      bfPixels: r.bfPixels, frequencies: r.frequencies, trotterPixels: r.trotterPixels,
      stateMB: +((r.trotterPixels * SUM_BYTES) / 2 ** 20).toFixed(1), runningWrites: this.snapshots,
      lastRunningFrames: this.snapshotFrames, warnings: this.warnings,
    };
  }

  private async writeRunning(r: SsbResult, held: string): Promise<void> {
    const title = `${this.method.toUpperCase()} phase, running (${held})`;
    await writePhaseMap(this.dir, "running_phase", r.phase, r.navShape, this.params!, title, "rad", true);
  }
}
