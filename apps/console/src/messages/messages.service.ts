import { Inject, Injectable } from '@nestjs/common';
import type { FleetMqConfig } from '#config';
import { downlinkTarget, parentTopicOf, TOPIC_PROBLEMS, validateTopicName } from '#domain';
import { ParentTopicRepository } from '#domain/persistence';
import { InvalidInputError, UnavailableError, type FieldError } from '../common/errors.js';
import { CONSOLE_CONFIG } from '../console.tokens.js';
import { InstancesService } from '../instances/instances.service.js';
import { ConsoleMessaging, type DownlinkMessage } from '../messaging/console-messaging.js';

export interface MessageInput {
  topic: string;
  payload: string;
  encoding?: 'utf8' | 'base64';
  qos?: 0 | 1 | 2;
  retain?: boolean;
  clientId?: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Sends messages to devices through fleetmq.downlink; they are never routed back to backends. */
@Injectable()
export class MessagesService {
  constructor(
    private readonly instances: InstancesService,
    private readonly topics: ParentTopicRepository,
    private readonly messaging: ConsoleMessaging,
    @Inject(CONSOLE_CONFIG) private readonly config: FleetMqConfig,
  ) {}

  async send(instanceId: string, input: MessageInput): Promise<string> {
    const [msgId] = await this.sendAll(instanceId, [input], (field) => field);
    return msgId!;
  }

  /** All or nothing: one bad message refuses the whole batch before anything is produced. */
  sendBatch(instanceId: string, inputs: readonly MessageInput[]): Promise<string[]> {
    return this.sendAll(instanceId, inputs, (field, i) => `messages.${i}.${field}`);
  }

  private async sendAll(instanceId: string, inputs: readonly MessageInput[], fieldName: (field: string, i: number) => string): Promise<string[]> {
    const instance = await this.instances.get(instanceId);
    const parents = instance.anonymous ? null : new Set(await this.topics.names(instanceId));
    const errors: FieldError[] = [];
    const messages = inputs.map((input, i) => {
      const fail = (field: string, reason: string): void => {
        errors.push({ field: fieldName(field, i), reason });
      };
      return this.toDownlink(instanceId, input, parents, fail);
    });
    if (errors.length > 0) throw new InvalidInputError(errors);
    try {
      return await this.messaging.sendDownlink(messages);
    } catch (err) {
      throw new UnavailableError(`messages could not be handed to Kafka: ${(err as Error).message}`);
    }
  }

  private toDownlink(instanceId: string, input: MessageInput, parents: ReadonlySet<string> | null, fail: (field: string, reason: string) => void): DownlinkMessage {
    const problem = validateTopicName(input.topic, this.config.limits.maxTopicLength);
    if (problem !== null) fail('topic', TOPIC_PROBLEMS[problem]);
    else if (parents !== null && !parents.has(parentTopicOf(input.topic))) {
      fail('topic', `first level '${parentTopicOf(input.topic)}' is not a parent topic of the instance`);
    }
    const encoding = input.encoding ?? 'utf8';
    let payload = Buffer.alloc(0);
    if (encoding === 'base64' && !BASE64.test(input.payload)) fail('payload', 'is not valid base64');
    else payload = Buffer.from(input.payload, encoding);
    if (payload.length > this.config.limits.maxPayloadBytes) fail('payload', `is larger than ${this.config.limits.maxPayloadBytes} bytes`);
    // P2P is a property of the topic: `<parent>/p2p/<clientId>` reaches that client alone
    // (clientId may repeat it); clientId with any other topic is refused, never broadcast.
    // The anonymous instance accepts any client ID, as its gateway does.
    let targetClientId: string | undefined;
    if (problem === null) {
      const target = downlinkTarget(input.topic, input.clientId, parents === null);
      if (!target.ok) fail(target.field === 'target' ? 'clientId' : 'topic', target.detail);
      else targetClientId = target.targetClientId;
      if (targetClientId !== undefined && input.retain === true) fail('retain', 'a P2P message is never retained');
    }
    const message: DownlinkMessage = { instanceId, topic: input.topic, payload, qos: input.qos ?? 1, retain: input.retain ?? false };
    if (targetClientId !== undefined) message.targetClientId = targetClientId;
    return message;
  }
}
