import type { Logger } from '#config';
import { checkAedes, type AedesAdapter } from './aedes-adapter.js';
import { withProbeClient } from './engine-version.js';
import { checkMqttPacket, type MqttPacketAdapter } from './mqtt-packet-adapter.js';

/** The gateway's engines, each checked against the version its patches were written for. */
export interface Engines {
  aedes: AedesAdapter;
  mqttPacket: MqttPacketAdapter;
}

/** Checks aedes and mqtt-packet once (gateway start), against one probe client. */
export function checkEngines(logger: Logger): Promise<Engines> {
  return withProbeClient((probe) => ({
    aedes: checkAedes({ logger, probe }),
    mqttPacket: checkMqttPacket({ logger, probe }),
  }));
}
