// Where the browser tests find Chromium (Debian's package, driven by playwright-core). scripts/test.sh installs
// the package when neither path exists: keep the two lists the same.
import { existsSync } from "node:fs";

export const CHROMIUM_PATHS = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

export const chromiumPath: string | undefined = CHROMIUM_PATHS.find(existsSync);

/** Flags for headless Chromium on this machine's closed network (no background connections, no sandbox as root). */
export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** Starts headless Chromium through playwright-core (chromiumPath must be set). */
export async function launchChromium(): Promise<import("playwright-core").Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
}
