// The edge side of a live stream as the package entry "stem4d/edge": encode and send with web APIs only (a browser
// page or Worker, Deno, Bun, Node), over the standard WebSocket API to `stem4d stream receive --bind ws://...`.
export { sendSeries, type SendOptions, type SendSummary, type SeriesInfo } from "./stream-send.js";
export { encodeDataset, seriesCenter, pacedDataset, type EncodeOptions } from "./stream-encode.js";
export { webSocketSender, type WebSocketConstructor, type WebSocketLike, type WebSocketSenderOptions } from "./stream-websocket.js";
export type { WebSocketClientTls } from "./stream-websocket-tls.js";
export type { SenderTransport } from "./stream-transport.js";
export { PROTOCOL_VERSION, ENCODE_MODES, type EncodeMode, type StreamCenter } from "./protocol.js";
