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
    const { tasks, counter, slot } = msg;
    let error;
    for (;;) {
      const i = Atomics.add(counter, slot, 1);
      if (i >= tasks.length) break;
      try {
        runCalls(tasks[i]);
      } catch (e) {
        error = String(e && e.message ? e.message : e);
        Atomics.store(counter, slot, tasks.length); // the other workers stop too
        break;
      }
    }
    post({ type: "done", id: msg.id, error });
  }
}

function runCalls(calls) {
  for (const call of calls) {
    if (call.fn === "@readFile") {
      if (!readFile) throw new Error(`${call.path}: this worker cannot read files`);
      readFile(call.path, call.args[0], call.args[1], call.args[2]);
      continue;
    }
    const fn = core[call.fn];
    if (typeof fn !== "function") throw new Error(`no kernel named ${call.fn}`);
    fn(...call.args);
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
