/** Messages as the apps see them; the codecs turn them into Kafka records and back. */

export type Qos = 0 | 1 | 2;

/** A device PUBLISH on its way to Kafka (`fleetmq.uplink`). */
export interface UplinkMessage {
  instanceId: string;
  clientId: string;
  topic: string;
  qos: Qos;
  retain: boolean;
  payload: Buffer;
  /** ms since epoch at the gateway; the producer stamps Date.now() when absent. */
  ts?: number;
  /** unique record id; the producer generates a ULID when absent. */
  msgId?: string;
}

/** An uplink record read back from Kafka: every field is known. */
export interface UplinkRecord extends Required<UplinkMessage> {
  nodeId: string;
}

/** A message for devices (`fleetmq.downlink`): to one client (P2P) or to the subscribers of `topic`. */
export interface DownlinkMessage {
  instanceId: string;
  /** MQTT topic the devices receive. */
  topic: string;
  qos: Qos;
  retain: boolean;
  payload: Buffer;
  /** P2P: the one client that receives it, subscribed or not. */
  targetClientId?: string;
  msgId: string;
  /** The Kafka record's timestamp (ms) as read from `fleetmq.downlink`, for latency metrics; absent on the in-process bus. */
  kafkaTimestampMs?: number;
}

/** What a publisher gives: the id is generated when absent. */
export type DownlinkInput = Omit<DownlinkMessage, 'msgId' | 'kafkaTimestampMs'> & { msgId?: string };

export type PresenceEventType = 'connect' | 'disconnect';

/** A client's connect or disconnect (`fleetmq.presence`); `epoch` grows with each connect of that client. */
export interface PresenceEvent {
  instanceId: string;
  clientId: string;
  event: PresenceEventType;
  reason: string | null;
  node: string;
  remoteAddress: string | null;
  ts: number;
  epoch: number;
}

/** Commands on `fleetmq.control`, consumed by every gateway and router process. */
export type ControlCommand =
  | { type: 'kick'; instanceId: string; clientId: string; reason?: string; ts?: number }
  | { type: 'token-revoked'; instanceId: string; tokenHash: string; ts?: number }
  | { type: 'key-disabled'; instanceId: string; accessKeyId: string; ts?: number }
  | { type: 'credential-revoked'; instanceId: string; clientId: string; accessKeyId?: string; ts?: number }
  | { type: 'rules-changed'; instanceId: string; ruleId?: string; ts?: number }
  | { type: 'instance-deleted'; instanceId: string; ts?: number };

export type ControlCommandType = ControlCommand['type'];
export const CONTROL_COMMAND_TYPES: readonly ControlCommandType[] = [
  'kick',
  'token-revoked',
  'key-disabled',
  'credential-revoked',
  'rules-changed',
  'instance-deleted',
];

/** Completion callback of an uplink send: no error = Kafka acknowledged the record. */
export type Done = (err?: Error) => void;
