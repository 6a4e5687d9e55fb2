/** A P2P message one gateway node hands to the node holding its target (RedisNodeChannel). */
export interface ForwardedP2P {
  instanceId: string;
  targetClientId: string;
  topic: string;
  qos: 0 | 1 | 2;
  payload: Buffer;
}

/**
 * Layout: qos (1 byte), then instance ID, target client ID and topic, each as a 2-byte length
 * and UTF-8 bytes, then the payload as is. One buffer, no JSON, no base64 of the payload.
 */
export function encodeForwardedP2P(msg: ForwardedP2P): Buffer {
  const instanceBytes = Buffer.byteLength(msg.instanceId);
  const clientBytes = Buffer.byteLength(msg.targetClientId);
  const topicBytes = Buffer.byteLength(msg.topic);
  const out = Buffer.allocUnsafe(7 + instanceBytes + clientBytes + topicBytes + msg.payload.length);
  let at = out.writeUInt8(msg.qos, 0);
  at = writeString(out, at, msg.instanceId, instanceBytes);
  at = writeString(out, at, msg.targetClientId, clientBytes);
  at = writeString(out, at, msg.topic, topicBytes);
  msg.payload.copy(out, at);
  return out;
}

/** Undefined for a buffer this codec did not write (truncated, bad QoS). */
export function decodeForwardedP2P(buf: Buffer): ForwardedP2P | undefined {
  if (buf.length < 7) return undefined;
  const qos = buf.readUInt8(0);
  if (qos > 2) return undefined;
  const reader = { at: 1 };
  const instanceId = readString(buf, reader);
  const targetClientId = instanceId === undefined ? undefined : readString(buf, reader);
  const topic = targetClientId === undefined ? undefined : readString(buf, reader);
  if (instanceId === undefined || targetClientId === undefined || topic === undefined) return undefined;
  return { instanceId, targetClientId, topic, qos: qos as 0 | 1 | 2, payload: buf.subarray(reader.at) };
}

function writeString(out: Buffer, at: number, text: string, bytes: number): number {
  at = out.writeUInt16BE(bytes, at);
  out.write(text, at, bytes, 'utf8');
  return at + bytes;
}

function readString(buf: Buffer, reader: { at: number }): string | undefined {
  if (reader.at + 2 > buf.length) return undefined;
  const bytes = buf.readUInt16BE(reader.at);
  const start = reader.at + 2;
  if (start + bytes > buf.length) return undefined;
  reader.at = start + bytes;
  return buf.toString('utf8', start, start + bytes);
}
