#!/usr/bin/env bash
# The main job on a built-in default, from a fresh clone: install, build, simulate a dataset and analyse it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/debian.sh
need_build_tools
install_needed "the build needs them to compile zstd"
[ -x node_modules/.bin/tsc ] || npm ci --no-audit --no-fund
npm run build
# 1. A simulated two-phase dataset (96 x 96 scan, 96 x 96 detector) with its virtual images, COM and mean pattern.
node dist/cli/main.js demo -o out/demo --scan 96,96 "$@"
# 2. The paper's whole pipeline on it: PCA, k-means, dendrogram, cluster maps and mean patterns, Fourier figures.
#    Cut at 16, 4 and 2 clusters; --truth scores every level against the simulated phases (the 2-cut should be 1.0).
node dist/cli/main.js analyze out/demo/simulated.npy -o out/demo/analyze --cuts 16,4,2 --truth out/demo/truth_phase.json
echo "figures in out/demo/; the analysis report is out/demo/analyze/report.html" >&2
