// The Ptychography view of the explorer: single-side-band ptychography (bindings/analyses/ssb.ts, what `stem4d ptycho`
// runs) computed in the page, its phase and the bright-field image of the same disk, each with a colour bar and a
// scale bar. The parameters default to the file's calibration (its probe record and axes); the disk centre to the
// file's, else the fitted bright-field disk; the detector pixel size to the file's, else alpha over the fitted disk
// radius; a scan rotation left empty is found first by minimum curl of the centre of mass, as the CLI does.
import type { Core } from "../bindings/core.js";
import { probeParameters, readProbeCalibration, type ProbeCalibration } from "../bindings/electron-optics.js";
import { singleSideBand, type SsbResult } from "../bindings/analyses/ssb.js";
import { checkSsbParameters, type SsbParameters } from "../bindings/analyses/ssb-plan.js";
import { differentialPhaseContrast } from "../bindings/analyses/dpc.js";
import { drawMap, type Contrast } from "./canvas-figure.js";
import type { Loaded } from "./loaded.js";

export interface PtychoElements {
  /** Inputs by parameter: kV, alpha (mrad), step (A), rotation (deg), defocus (A). */
  kv: HTMLInputElement;
  alpha: HTMLInputElement;
  step: HTMLInputElement;
  rotation: HTMLInputElement;
  defocus: HTMLInputElement;
  phase: HTMLCanvasElement;
  brightField: HTMLCanvasElement;
  status: HTMLElement;
}

export class PtychoView {
  result?: SsbResult & { brightField: Float32Array };
  /** The parameters of the last run. */
  parameters?: SsbParameters;

  constructor(readonly core: Core, readonly data: Loaded, readonly el: PtychoElements,
    readonly contrast: () => Contrast) {
    const cal = readProbeCalibration(data.ds.calibration);
    const step = Array.isArray(cal.stepA) ? cal.stepA.join(",") : cal.stepA;
    const fill = (input: HTMLInputElement, v: number | string | undefined) =>
      (input.value = v === undefined ? "" : String(v));
    fill(el.kv, cal.kv);
    fill(el.alpha, cal.alphaMrad);
    fill(el.step, step);
    fill(el.rotation, cal.rotationDeg);
    fill(el.defocus, cal.defocusA ?? 0);
  }

  /** The parameters from the inputs (the file's calibration filling the rest); throws one line on what is missing. */
  resolve(): SsbParameters {
    const num = (input: HTMLInputElement, what: string) => {
      const text = input.value.trim();
      if (text === "") return undefined;
      const v = Number(text);
      if (!Number.isFinite(v)) throw new Error(`${what}: '${text}' is not a number`);
      return v;
    };
    const steps = this.el.step.value.trim() === "" ? undefined : this.el.step.value.split(",").map((s) => {
      const v = Number(s);
      if (s.trim() === "" || !Number.isFinite(v)) {
        throw new Error(`step: '${this.el.step.value}' is not one number or row,col`);
      }
      return v;
    });
    const given: ProbeCalibration = {
      kv: num(this.el.kv, "kV"), alphaMrad: num(this.el.alpha, "alpha"), defocusA: num(this.el.defocus, "defocus") ?? 0,
      rotationDeg: num(this.el.rotation, "rotation"), stepA: steps && [steps[0]!, steps[1] ?? steps[0]!],
    };
    const cal = readProbeCalibration(this.data.ds.calibration);
    const p = probeParameters(this.data.ds, given, "ptychography", ["mradPerPixel"]);
    const disk = this.data.disk;
    const mradPerPixel = p.missing.includes("mradPerPixel") ? p.alphaMrad / disk.radius : p.mradPerPixel;
    const { missing: _, ...params } = p;
    return { ...params, mradPerPixel, center: cal.center ?? { cy: disk.cy, cx: disk.cx }, wiener: 0 };
  }

  async compute(): Promise<void> {
    const { ds } = this.data;
    if (ds.shape.length !== 4) {
      throw new Error(`ptychography needs a 2D scan of 2D patterns; shape is [${ds.shape.join(", ")}]`);
    }
    this.el.status.className = "";
    const p = this.resolve();
    const warnings = checkSsbParameters(ds.shape, p, "ptychography");
    const t0 = performance.now();
    if (this.el.rotation.value.trim() === "") {
      this.el.status.textContent = "ptychography: finding the scan rotation (minimum curl of the centre of mass)...";
      const dpc = await differentialPhaseContrast(this.core, ds, p);
      p.rotationDeg = dpc.frame.rotationDeg;
      p.flip = dpc.frame.flip;
    }
    this.el.status.textContent = "ptychography: single side band...";
    this.result = await singleSideBand(this.core, ds, p, {
      onProgress: (done, total) => (this.el.status.textContent = `ptychography: ${done} of ${total} frames`),
    });
    this.parameters = p;
    this.draw();
    this.el.status.textContent = `SSB in ${(performance.now() - t0).toFixed(0)} ms: ${p.kv} kV, alpha ${p.alphaMrad} ` +
      `mrad, step ${p.stepA.join(" x ")} A, rotation ${+p.rotationDeg.toFixed(2)} deg${p.flip ? " (flipped)" : ""}, ` +
      `defocus ${p.defocusA ?? 0} A, ${+p.mradPerPixel.toFixed(4)} mrad/pixel` +
      (warnings.length ? `; warning: ${warnings.join("; ")}` : "");
  }

  /** Redraws with the current contrast settings. */
  draw(): void {
    if (!this.result || !this.parameters) return;
    const [rows, cols] = this.result.navShape, c = this.contrast();
    const pixel = { step: this.parameters.stepA[1], unit: "Å" };
    drawMap(this.el.phase, { values: this.result.phase, rows, cols, title: "SSB object phase", unit: "rad", pixel,
      contrast: { ...c, log: false } });
    drawMap(this.el.brightField, { values: this.result.brightField, rows, cols, title: "bright field (same disk)",
      unit: "counts", pixel, contrast: { ...c, log: false } });
  }
}
