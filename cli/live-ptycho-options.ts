// The options of `stream receive --ptycho` (cli/live-ptycho.ts runs it), apart from its work: declaring them loads
// none of the ptychography modules.
import type { Command } from "commander";
import { probeOptions, type ProbeOptions } from "./probe-options.js";

export interface LivePtychoFlags extends ProbeOptions {
  ptycho?: boolean | string;
  ptychoEvery: string;
  wiener?: string;
  epsilon?: string;
}

/** The flags (the receiver declares --center already: the same centre serves both). */
export function livePtychoOptions(cmd: Command): Command {
  return probeOptions(cmd
    .option("--ptycho [method]", "ptychography as frames arrive, ssb (default: single-side-band) or wdd (Wigner "
      + "distribution deconvolution): OUT/ptycho/ (the files `stem4d ptycho` writes; running_phase.npy/png while the "
      + "series arrives)")
    .option("--ptycho-every <s>", "--ptycho: write the running object at most this often", "5")
    .option("--wiener <eps>", "--ptycho: Wiener-style regularisation, a fraction of the bright-field intensity "
      + "(default 0)")
    .option("--epsilon <eps>", "--ptycho wdd: Wiener term of the deconvolution, a fraction of the largest |chi_A|^2 "
      + "(default 1e-3)"),
  { live: true });
}
