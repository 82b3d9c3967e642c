// Where the browser tests find Chromium (Debian's package, driven by playwright-core). scripts/test.sh installs
// the package when neither path exists: keep the two lists the same.
import { existsSync } from "node:fs";

export const CHROMIUM_PATHS = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

export const chromiumPath: string | undefined = CHROMIUM_PATHS.find(existsSync);
