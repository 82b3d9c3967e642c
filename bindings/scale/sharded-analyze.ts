// Node-only (scale-out). analyze() with its passes over the frames on shard workers: a ViewPassRunner for
// AnalyzeOptions.runner. Each batch of passes (PCA's sketch and adjoint passes, the cluster patterns) becomes one
// job per frame range; the workers open the file and bin it as the analysis does (the view), so only the passes'
// inputs (Z, the range's rows of Y, the labels) and partial states travel. k-means, the linkage of the centroids
// and PCA's dense steps run on the coordinator: they work on the scores (P x k), not the frames.
import type { ViewPassRunner } from "../analyses/pass-specs.js";
import type { Core } from "../core.js";
import { frameCount } from "../dataset.js";
import type { ShardSession } from "./shard-coordinator.js";
import type { FileRef, Layout } from "./shard-jobs.js";
import { shardRanges } from "./shards.js";

/** Passes of an analysis of `ref` (whose layout is `input`) on the session's workers, `shards` ranges each. */
export function shardedRunner(session: ShardSession, core: Core, ref: FileRef, input: Layout, shards: number): ViewPassRunner {
  return (view, dataset) => {
    const viewed: Layout = { shape: [...dataset.shape], dtype: dataset.dtype };
    const ranges = shardRanges(frameCount(viewed), shards);
    return (passes, onProgress) => session.runBatch(core, { file: ref, input, view, viewed, passes, ranges, onProgress });
  };
}
