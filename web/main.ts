// The explorer page: wires the file chooser and drop zone, the linked views and the pipeline panel.
// Everything runs here, on the WebAssembly core and (in a cross-origin isolated page) its pool of Web Workers.
import { Core } from "../bindings/core.js";
import { memoryDataset } from "../bindings/sources.js";
import { simulateTwoPhase } from "../bindings/simulate.js";
import type { AnalyzeOptions } from "../bindings/analyses/analyze.js";
import { chosenFile, openFileSet, servedFiles, type PageFile } from "./files.js";
import { hdf5WorkerReads } from "./hdf5-remote.js";
import { prepareDataset } from "./loaded.js";
import { drawPreview } from "./preview-view.js";
import { LinkedViews, type ViewSettings } from "./linked-views.js";
import { PipelinePanel } from "./pipeline-panel.js";
import { FourierViews } from "./fourier-views.js";
import { PtychoView } from "./ptycho-view.js";
import { saveNpy, savePng, saveReport } from "./exports.js";
import type { Dataset } from "../bindings/dataset.js";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const input = (id: string) => $<HTMLInputElement>(id);

const isolated = globalThis.crossOriginIsolated === true;
const asked = new URLSearchParams(location.search).get("workers"); // ?workers=N sizes the pool
const workers = !isolated ? 0 : asked !== null ? Number(asked) : Math.min(4, navigator.hardwareConcurrency || 2);
const core = await Core.create({ workers });
$("threads").textContent = core.workerCount > 0
  ? `${core.workerCount} Web Workers on shared memory (${core.build} build)`
  : "single-threaded: this page is not cross-origin isolated (serve it with COOP/COEP headers, as npm run web does)";

/** What the scan-FFT and SSB status lines say before their first run (shown again for each new file). */
const panelHints = ["fft-status", "ssb-status"].map((id) => [id, $(id).textContent ?? ""] as const);
let views: LinkedViews | undefined;
let fourier: FourierViews | undefined;
let ptycho: PtychoView | undefined;
const panel = new PipelinePanel(core,
  { progress: $<HTMLProgressElement>("progress"), status: $("pipeline-status"), results: $("results") },
  () => settings().contrast);

function settings(): ViewSettings {
  return {
    contrast: {
      log: input("log").checked, lowPercentile: Number(input("low").value), highPercentile: Number(input("high").value),
    },
    max: input("max").checked,
    mode: input("detector-mode").value === "mask" ? "mask" : "annulus",
    brush: { tool: input("mask-tool").value === "polygon" ? "polygon" : "brush",
      radius: Number(input("brush").value) || 1, erase: input("erase").checked },
  };
}

/** An error as one line in `el` (the page's status line, or a panel's). */
function showLine(el: HTMLElement, e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  console.error(e);
  el.textContent = `error: ${message.split("\n")[0]}`;
  el.className = "problem";
}
const showError = (e: unknown) => showLine($("status"), e);

async function show(ds: Dataset, label: string): Promise<void> {
  await views?.close();
  fourier?.close();
  views = undefined;
  fourier = undefined;
  ptycho = undefined;
  for (const id of ["fft-power", "cbed-amp", "cbed-phase", "bragg-map", "ssb-phase", "ssb-bf"]) {
    const canvas = $<HTMLCanvasElement>(id);
    canvas.width = canvas.height = 0;
  }
  for (const [id, hint] of panelHints) {
    $(id).textContent = hint;
    $(id).className = "";
  }
  const t0 = performance.now();
  const loaded = await prepareDataset(core, ds, label, (what, done, total) => {
    $("status").textContent = `${label}: ${what} ${done} of ${total} frames`;
    timeline[what] = performance.now();
  }, {
    show(preview) {
      drawPreview({ pattern: $<HTMLCanvasElement>("pattern"), image: $<HTMLCanvasElement>("image") }, preview, ds,
        settings().contrast);
      timeline.preview ??= performance.now();
    },
    everyMs: previewMs,
  });
  views = new LinkedViews(core, loaded, {
    pattern: $<HTMLCanvasElement>("pattern"), image: $<HTMLCanvasElement>("image"),
    probe: $<HTMLCanvasElement>("probe"),
    comY: $("com-y") as HTMLCanvasElement, comX: $("com-x") as HTMLCanvasElement, icom: $("icom") as HTMLCanvasElement,
    detectorNote: $("detector-note"),
  }, settings, showError);
  fourier = new FourierViews(core, loaded, {
    power: $<HTMLCanvasElement>("fft-power"), amplitude: $<HTMLCanvasElement>("cbed-amp"),
    phase: $<HTMLCanvasElement>("cbed-phase"), bragg: $<HTMLCanvasElement>("bragg-map"), status: $("fft-status"),
  }, () => settings().contrast, (p) => track(p));
  ptycho = new PtychoView(core, loaded, {
    kv: input("ssb-kv"), alpha: input("ssb-alpha"), step: input("ssb-step"), rotation: input("ssb-rotation"),
    defocus: input("ssb-defocus"), phase: $<HTMLCanvasElement>("ssb-phase"),
    brightField: $<HTMLCanvasElement>("ssb-bf"),
    status: $("ssb-status"),
  }, () => settings().contrast);
  syncRadii();
  await views.start();
  timeline.image = views.firstImageAt!;
  timeline.ready = performance.now();
  $("status").className = "";
  $("status").textContent = `${label}: shape [${loaded.ds.shape.join(", ")}] ${loaded.ds.dtype}, ` +
    `${loaded.resident ? "held in WebAssembly memory" : "streamed from the file for each pass"}; ready in ` +
    `${(performance.now() - t0).toFixed(0)} ms`;
}

/** The shortest time between two previews while a file is read (ms). */
let previewMs = 1000;
/** When the last file set was chosen and when each stage of showing it last reported (performance.now(), ms). */
let timeline: Record<string, number> = {};

async function openFiles(list: PageFile[]): Promise<void> {
  if (list.length === 0) return;
  timeline = { chosen: performance.now() };
  $("status").className = "";
  $("status").textContent = `opening ${list.map((f) => f.name).join(", ")}...`;
  try {
    await show(await openFileSet(list), list.map((f) => f.name).join(" + "));
  } catch (e) {
    showError(e);
  }
}

function syncRadii(): void {
  if (!views) return;
  input("inner").value = String(views.detector.inner);
  input("outer").value = String(views.detector.outer);
}

function onRadii(): void {
  views?.setDetector({ ...views.detector, inner: Number(input("inner").value), outer: Number(input("outer").value) });
}

function pipelineOptions(): AnalyzeOptions {
  const num = (id: string) => (input(id).value.trim() === "" ? undefined : Number(input(id).value));
  const cuts = input("cuts").value.trim();
  return { bin: num("bin"), components: num("components"), k: num("k"), seed: num("seed") ?? 0,
    cuts: cuts === "" ? undefined : cuts.split(",").map(Number) };
}

let current: Promise<unknown> = Promise.resolve();
const track = (p: Promise<unknown>) => (current = Promise.all([current, p.catch(showError)]));

const chosen = (list: FileList | null | undefined) => Array.from(list ?? []).map(chosenFile);
input("files").addEventListener("change", () => track(openFiles(chosen(input("files").files))));
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  track(openFiles(chosen(e.dataTransfer?.files)));
});
$("simulate").addEventListener("click", () => track((async () => {
  $("status").textContent = "simulating 64 x 64 x 96 x 96...";
  const lazy = simulateTwoPhase({ scan: [64, 64], detector: [96, 96], seed: 1 }).dataset;
  const frames = new Uint16Array(64 * 64 * 96 * 96);
  await lazy.source.readFrames(0, 64 * 64, new Uint8Array(frames.buffer));
  await show(memoryDataset(frames, lazy.shape, "simulated"), "simulated");
})()));
input("inner").addEventListener("input", onRadii);
input("outer").addEventListener("input", onRadii);
$("pattern").addEventListener("mousemove", syncRadii);
$("pattern").addEventListener("mouseup", syncRadii);
input("detector-mode").addEventListener("input", () => {
  $("brush-controls").hidden = settings().mode !== "mask";
  views?.maskChanged();
});
$("clear-mask").addEventListener("click", () => {
  views?.drawnMask.fill(0);
  views?.polygon.splice(0);
  views?.maskChanged();
});
for (const id of ["log", "low", "high", "max"]) {
  input(id).addEventListener("input", () => {
    views?.redraw();
    fourier?.redraw();
    ptycho?.draw();
  });
}
$("fft-run").addEventListener("click", () => {
  if (fourier) track(fourier.compute().catch((e) => showLine($("fft-status"), e)));
});
$("ssb-run").addEventListener("click", () => {
  if (ptycho) track(ptycho.compute().catch((e) => showLine($("ssb-status"), e)));
});
$("run").addEventListener("click", () => {
  if (!views || panel.running) return;
  track(panel.run(views.data.ds, pipelineOptions()));
});
$("cancel").addEventListener("click", () => panel.cancel());

/** The array behind a view and its shape. */
function viewArray(view: string): [Float32Array, number[]] | undefined {
  if (!views) return undefined;
  const { scan, det, stats } = views.data;
  const arrays: Record<string, [Float32Array | undefined, number[]]> = {
    pattern: [settings().max ? stats.max : stats.mean, det], image: [views.image, scan],
    probe: [views.probePattern, det],
    "com-y": [views.com?.comY, scan], "com-x": [views.com?.comX, scan], icom: [views.com?.phase, scan],
    mask: [views.currentMask(), det],
    "fft-power": [fourier?.power && Float32Array.from(fourier.power), scan],
    "cbed-amp": [fourier?.cbed?.amplitude, det], "cbed-phase": [fourier?.cbed?.phase, det],
    "bragg-map": [fourier?.bragg?.maps[0], scan],
    "ssb-phase": [ptycho?.result?.phase, scan], "ssb-bf": [ptycho?.result?.brightField, scan],
  };
  const [values, shape] = arrays[view]!;
  return values && [values, shape];
}
$("save-png").addEventListener("click", () => {
  const view = input("export-view").value;
  track(savePng($(view === "mask" ? "pattern" : view) as HTMLCanvasElement, `${view}.png`));
});
$("save-npy").addEventListener("click", () => {
  const view = input("export-view").value, array = viewArray(view);
  if (array) saveNpy(array[0], array[1], `${view}.npy`);
});
$("save-report").addEventListener("click", () => {
  if (panel.result && views) track(saveReport(panel.result, views.data.name));
});

/** For tests and benchmarks: the page's state and a way to wait for it. */
Object.assign(globalThis, {
  explorer: {
    core, panel,
    get views() { return views; },
    get fourier() { return fourier; },
    get ptycho() { return ptycho; },
    settled: async () => { await current; await views?.settled(); },
    show,
    hdf5Reads: hdf5WorkerReads,
    get timeline() { return timeline; },
    get previewMs() { return previewMs; },
    set previewMs(ms: number) { previewMs = ms; },
  },
});
$("status").textContent = "choose or drop files";
document.body.dataset.ready = "true";
// Files given to `stem4d serve`: opened at once, read over HTTP Range requests.
track(servedFiles(location.href).then(openFiles));
