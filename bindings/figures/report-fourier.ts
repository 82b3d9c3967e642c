// The Fourier section of the analysis report (the paper's Figure 2): the power spectrum of the FFT over the scan
// axes (Hann-windowed by default), its peaks as a table, and the CBED amplitude, phase and Bragg-filtered map at each.
import type { Core } from "../core.js";
import type { Dataset } from "../dataset.js";
import { BRAGG_RADIUS_RULE, fourierAnalysis, fourierFigures, type FourierFigureOptions } from "../analyses/fourier-analysis.js";
import { frequencyStep } from "./calibration.js";
import { mapFigureSvg } from "./map-figure.js";
import type { ReportFigure, ReportSection } from "./report.js";

const PATTERNS_TEXT = {
  spectrum: "The CBED patterns and Bragg maps come from the spectrum's own transform, kept around the expected peaks while it was computed",
  pass: "The CBED patterns and Bragg maps were computed in one more pass over the frames, the peaks not being among those the spectrum's passes kept",
};

const HANN_TEXT = "the scan is multiplied by a Hann window along each axis first, so its edges do not streak the spectrum";

export async function fourierReportSection(core: Core, ds: Dataset, o: FourierFigureOptions = {}): Promise<ReportSection> {
  const analysis = o.analysis ?? (await fourierAnalysis(core, ds, { peaks: 4, ...o }));
  const figs = await fourierFigures(core, ds, { ...o, analysis });
  const svg = async (name: string): Promise<ReportFigure> => {
    const { figure, caption } = figs[name]!;
    return { svg: await mapFigureSvg(figure), caption };
  };
  const scan = o.pixels?.scan, { nx, ny } = analysis.grid;
  const freq = frequencyStep(scan, nx);
  // Drawn concurrently, in order (see analyzeReportSections).
  const [power, ...perPeak] = await Promise.all(["power", ...Object.keys(figs).filter((k) => k !== "power")].map(svg));
  return {
    title: "Fourier analysis over the scan axes",
    id: "fourier",
    text: [
      "S(x, y, u, v) transformed over the scan axes: averaged over the detector it is the image's spectrum (lattice " +
      "peaks); at each peak it holds a whole CBED pattern, whose amplitude shows which detector regions carry that " +
      "periodicity and whose phase reveals shifts between domains. The Bragg-filtered maps show where each periodicity lives.",
      `Power spectrum: ${analysis.window === "hann" ? HANN_TEXT : "no apodisation window"}. Bragg filters: ${BRAGG_RADIUS_RULE}.`,
      ...(analysis.patterns === "none" ? [] : [PATTERNS_TEXT[analysis.patterns] + ` (${analysis.passes} passes over the frames in all).`]),
    ],
    figures: [power!],
    sections: [
      {
        title: "Peaks of the power spectrum",
        id: "fourier-peak-table",
        table: {
          head: [
            "peak", "bin (row, col)", "sub-bin position", `period (${scan ? scan.unit : "scan px"})`,
            `frequency (${freq ? freq.unit : "1/scan px"})`, "angle (deg)", "family", "power", "Bragg radius (bins)",
          ],
          rows: analysis.peaks.map((p, i) => {
            const filter = analysis.filters.find((f) => f.ky === p.ky && f.kx === p.kx);
            const step = scan?.step ?? 1;
            return [
              i, `(${p.ky}, ${p.kx})`, `(${p.y.toFixed(2)}, ${p.x.toFixed(2)})`, (p.period * step).toPrecision(4),
              (p.frequency / step).toPrecision(4), p.angleDeg.toFixed(1), p.family, p.power.toPrecision(4),
              filter ? filter.radius.toFixed(2) : "-",
            ];
          }),
        },
        text: analysis.peaks.length ? [] : [`No peaks in the ${ny} x ${nx} spectrum.`],
      },
      ...(perPeak.length ? [{ title: "CBED amplitude, phase and Bragg maps at the peaks", id: "fourier-peaks", figures: perPeak }] : []),
    ],
  };
}
