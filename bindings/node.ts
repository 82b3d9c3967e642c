// The Node entry: everything in the isomorphic entry, plus files and worker_threads.
import "./node-platform.js";

export * from "./index.js";
export * from "./node-files.js";
export * from "./formats/node.js";
// The Node entry's formats() lists the Node-only readers too (an explicit export wins over the star exports).
export { formats } from "./formats/node.js";
export * from "./writers/index.js";
