// A TCP port on the loopback interface that nothing listens on (for the servers the scale-out tests start): the
// benchmarks' helper, shared.
export { freePort } from "../../bench/net.js";
