// The options of the reductions a distributed run computes (`stem4d shard`, `stream receive`), apart from their
// work: declaring them loads none of the analyses.
import type { Command } from "commander";

export interface AnalysisFlags {
  bf?: string;
  adf?: string;
  com?: boolean;
  stats?: boolean;
  center?: string;
}

export function analysisOptions(cmd: Command): Command {
  return cmd
    .option("--bf <radius>", "bright-field disk of this radius (detector pixels): bf.npy")
    .option("--adf <inner,outer>", "annular dark field between these radii: adf.npy")
    .option("--com", "centre of mass: com_y.npy, com_x.npy")
    .option("--stats", "mean and max pattern: mean.npy, max.npy")
    .option("--center <cy,cx>", "pattern centre; default: found from the bright-field disk");
}
