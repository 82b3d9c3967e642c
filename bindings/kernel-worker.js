// A worker of the pool: it instantiates the shared compiled core on the shared memory, then runs tasks (lists of
// kernel calls, { fn, args }) as it is told. Plain JavaScript with no imports of the project, so Node worker_threads and
// browser module Workers load the same file as it is.
const inNode = typeof process !== "undefined" && !!(process.versions && process.versions.node);
let post;
let core = null;
let memory = null;
let readFile = null; // (path, ptr, length, offset) => void, in Node only

function abort(msgPtr, filePtr, line, col) {
  throw new Error(`stem4d core aborted at line ${line}:${col}`);
}

function onMessage(msg) {
  if (msg.type === "init") {
    memory = msg.memory;
    core = new WebAssembly.Instance(msg.module, { env: { memory, abort } }).exports;
    post({ type: "ready" });
    return;
  }
  if (msg.type === "run") {
    // Tasks shared by several workers: each takes the next task index from a shared counter until none is left,
    // then reports once (one message per worker and run, however many tasks).
    // The tasks come encoded in shared memory (bindings/core.ts, encodeTasks): calls[0] tasks, calls[1 + i] where task
    // i starts.
    const { calls, names, counter, slot } = msg;
    const count = calls[0];
    let error;
    for (;;) {
      const i = Atomics.add(counter, slot, 1);
      if (i >= count) break;
      try {
        runTask(calls, names, calls[1 + i]);
      } catch (e) {
        error = String(e && e.message ? e.message : e);
        Atomics.store(counter, slot, count); // the other workers stop too
        break;
      }
    }
    post({ type: "done", id: msg.id, error });
  }
}

function runTask(calls, names, at) {
  const n = calls[at++];
  for (let c = 0; c < n; c++) {
    const name = names[calls[at]], argc = calls[at + 1], a = at + 2;
    at = a + argc;
    if (name === "@readFile") {
      const path = names[calls[a + 3]];
      if (!readFile) throw new Error(`${path}: this worker cannot read files`);
      readFile(path, calls[a], calls[a + 1], calls[a + 2]);
      continue;
    }
    const fn = core[name];
    if (typeof fn !== "function") throw new Error(`no kernel named ${name}`);
    fn(...calls.subarray(a, a + argc));
  }
}

if (inNode) {
  const { parentPort } = await import("node:worker_threads");
  const fs = await import("node:fs");
  const fds = new Map();
  readFile = (path, ptr, length, offset) => {
    let fd = fds.get(path);
    if (fd === undefined) fds.set(path, (fd = fs.openSync(path, "r")));
    const view = new Uint8Array(memory.buffer, ptr, length);
    let done = 0;
    while (done < length) {
      const n = fs.readSync(fd, view, done, length - done, offset + done);
      if (n === 0) throw new Error(`${path}: unexpected end of file at byte ${offset + done}; expected ${length - done} more bytes`);
      done += n;
    }
  };
  post = (m) => parentPort.postMessage(m);
  parentPort.on("message", onMessage);
} else {
  post = (m) => self.postMessage(m);
  self.onmessage = (e) => onMessage(e.data);
}
