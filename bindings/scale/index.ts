// Node-only: the scale-out API as the package entry "stem4d/scale" (ZeroMQ and WebSocket live streams, BullMQ shards on Redis).
// Never imported by the browser build; the CLI's stream, shard and worker commands are thin layers over it.
export { sendSeries, type SendOptions, type SendSummary, type SeriesInfo } from "./stream-send.js";
export { encodeDataset, seriesCenter, pacedDataset, type EncodeOptions } from "./stream-encode.js";
export { sendDataset, openSender, openReceiver, type SendDatasetOptions, type SenderTls } from "./stream-endpoints.js";
export { zmqSender, zmqReceiver } from "./stream-zmq.js";
export { webSocketSender, type WebSocketConstructor } from "./stream-websocket.js";
export { webSocketReceiver, type ReceiverTls, type WebSocketReceiverOptions } from "./stream-ws-server.js";
export { StreamReceiver, type Layout, type ReceiveOptions, type ReceiveResult } from "./stream-receive.js";
export { LiveReducer } from "./stream-reduce.js";
export { liveDataset, LiveFrames } from "./live-dataset.js";
export {
  runSharded, startShardWorker, shardRanges, manageRuns, ShardSession, parseRedisUrl, probeRedis, redactUrl,
  type ShardOptions, type ShardRun, type ShardWorkerOptions, type SessionOptions,
} from "./shards.js";
export { shardedRunner } from "./sharded-analyze.js";
export { buildReductions, type AnalysisSpec } from "./analyses.js";
export { encodeState, decodeState, type EncodedState, type StateLayout } from "./state-codec.js";
export { PROTOCOL_VERSION, ENCODE_MODES, type EncodeMode, type StreamCenter, type SeriesMessage } from "./protocol.js";
