/**
 * The kafkajs internals FleetMQ touches (kafkajs has no "exports" map, so deep imports resolve).
 * Used only by kafkajs-adapter.ts, which checks the installed version and shapes at start.
 */
declare module 'kafkajs/src/protocol/requests/produce/index.js' {
  interface KafkajsRequest {
    apiKey: number;
    apiVersion: number;
    apiName: string;
    encode(): Promise<unknown>;
  }
  type BuildProduce = (args: Record<string, unknown>) => { request: KafkajsRequest; response: unknown };
  const produce: { versions: string[]; protocol(options: { version: number }): BuildProduce };
  export default produce;
}

declare module 'kafkajs/src/protocol/requests/produce/v3/request.js' {
  const request: (args: Record<string, unknown>) => { encode(): Promise<{ buffer: Buffer }> };
  export default request;
}

declare module 'kafkajs/src/protocol/recordBatch/crc32C/index.js' {
  const crc32C: (buffer: Buffer) => number;
  export default crc32C;
}

declare module 'kafkajs/src/network/requestQueue/index.js' {
  /** One broker connection's request queue (network/requestQueue/index.js). */
  class RequestQueue {
    constructor(options: Record<string, unknown>);
    pending: unknown[];
    inflight: Map<number, unknown>;
    throttledUntil: number;
    throttleCheckTimeoutId: NodeJS.Timeout | null;
    requestTimeout: number;
    enforceRequestTimeout: boolean;
    requestTimeoutIntervalId: NodeJS.Timeout | undefined;
    isConnected(): boolean;
    push(request: unknown): void;
    fulfillRequest(response: { correlationId: number; payload: Buffer | null; size: number }): void;
    maybeThrottle(clientSideThrottleTime: number | null): void;
    checkPendingRequests(): void;
    scheduleCheckPendingRequests(): void;
    scheduleRequestTimeoutCheck(): void;
    destroy(): void;
  }
  export default RequestQueue;
}
