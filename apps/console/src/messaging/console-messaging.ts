/** A message for devices, produced to fleetmq.downlink. */
export interface DownlinkMessage {
  instanceId: string;
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** P2P: only this client receives it. */
  targetClientId?: string;
}

/** Commands on fleetmq.control, consumed by every gateway and router process. */
export type ControlCommand =
  | { type: 'kick'; instanceId: string; clientId: string }
  | { type: 'token-revoked'; instanceId: string; tokenHash: string }
  | { type: 'key-disabled'; instanceId: string; accessKeyId: string }
  | { type: 'credential-revoked'; instanceId: string; clientId: string; accessKeyId?: string }
  | { type: 'rules-changed'; instanceId: string; ruleId?: string };

/**
 * What the console needs from Kafka (or the in-process bus). An abstract class so it can be
 * the DI token; implementations only need the same shape.
 */
export abstract class ConsoleMessaging {
  /** Produces the messages in order; resolves with one msgId per message once Kafka acknowledged them. */
  abstract sendDownlink(messages: readonly DownlinkMessage[]): Promise<string[]>;
  abstract sendControl(command: ControlCommand): Promise<void>;
}
