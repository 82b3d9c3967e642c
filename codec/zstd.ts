// zstd frames are the wire format; the backend that makes them is replaceable, and any backend decodes any other's
// frames (test/codec/zstd.test.ts). "stem4d" (the default, "auto") is the reference library compiled into our own
// build/zstd.wasm and runs wherever the core runs; "zstd-codec" (the design card's package) runs in Node only.
// Every frame is checked before it reaches a backend: its header must declare its content size and that size must
// equal what the container expects, so a frame that claims 4 GB is refused before anything is allocated.
import { loadStem4dZstd } from "./zstd-stem4d.js";
import { loadZstdCodec } from "./zstd-codec-backend.js";
import type { ZstdBackend, ZstdBackendName } from "./zstd-backend.js";

export { zstdContentSize, type ZstdBackend, type ZstdBackendName } from "./zstd-backend.js";

/** The backend used when none is named: "auto", which is "stem4d" in Node and in browsers alike. */
export const DEFAULT_ZSTD: ZstdBackendName = "auto";
export const ZSTD_BACKENDS: readonly ZstdBackendName[] = ["auto", "stem4d", "zstd-codec"];

const loading = new Map<ZstdBackendName, Promise<ZstdBackend>>();

export function zstdBackend(name: ZstdBackendName = DEFAULT_ZSTD): Promise<ZstdBackend> {
  if (name === "auto") return zstdBackend("stem4d");
  let p = loading.get(name);
  if (!p) {
    p = name === "stem4d" ? loadStem4dZstd()
      : name === "zstd-codec" ? loadZstdCodec()
      : Promise.reject(new Error(`unknown zstd backend ${String(name)} (expected ${ZSTD_BACKENDS.join(", ")})`));
    loading.set(name, p);
    p.catch(() => loading.delete(name)); // a backend that failed to load (e.g. not built yet) may be asked again
  }
  return p;
}
