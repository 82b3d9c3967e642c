#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what it needs (Debian packages as root, npm packages), builds,
# runs every test, and ends with one "N passed, N failed, N skipped" line.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/debian.sh
need_build_tools
# Independent references (numpy, scipy, scikit-learn, h5py) and a browser for the browser tests, from Debian.
# The paths the browser tests look at (test/helpers/browser.ts), not whatever `chromium` is first on PATH.
[ -x /usr/bin/chromium ] || [ -x /usr/bin/chromium-browser ] || need+=(chromium)
# A real Redis for the scale-out tests (BullMQ shards); each test starts its own on a free loopback port.
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
/usr/bin/python3 -c "import numpy, scipy, sklearn, h5py" >/dev/null 2>&1 || need+=(python3-numpy python3-scipy python3-sklearn python3-h5py)
# openssl makes the throwaway CA and certificate of the wss:// stream tests (test/helpers/tls.ts).
command -v openssl >/dev/null 2>&1 || need+=(openssl)
for extra in ${STEM4D_APT_EXTRA:-}; do need+=("$extra"); done
install_needed "the build needs clang and lld; the tests that need the others are skipped"

[ -x node_modules/.bin/vitest ] || npm ci --no-audit --no-fund
npm run build
mkdir -p out
status=0
npx vitest run --reporter=default --reporter=json --outputFile=out/vitest.json "$@" || status=$?
node -e '
const r = JSON.parse(require("fs").readFileSync("out/vitest.json", "utf8"));
const skipped = r.numPendingTests + (r.numTodoTests ?? 0);
console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
'
exit $status
