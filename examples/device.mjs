// A device: connects with the signature method, publishes telemetry every few seconds and prints
// every command it receives (P2P messages arrive without subscribing).
//
//   MQTT_URL=mqtt://127.0.0.1:1884 INSTANCE=fmq-xxxxxx ACCESS_KEY=... SECRET_KEY=... \
//   CLIENT_ID='GID_sensors@@@device-1' node examples/device.mjs
import { createHmac } from 'node:crypto';
import mqtt from 'mqtt';

const { INSTANCE, ACCESS_KEY, SECRET_KEY } = process.env;
const url = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1884';
const clientId = process.env.CLIENT_ID ?? 'GID_sensors@@@device-1';
const deviceId = clientId.split('@@@')[1];
const auth = INSTANCE && ACCESS_KEY && SECRET_KEY
  ? { username: `Signature|${ACCESS_KEY}|${INSTANCE}`, password: createHmac('sha1', SECRET_KEY).update(clientId).digest('base64') }
  : {}; // anonymous: the `default` instance of `npm start`

const client = mqtt.connect(url, { clientId, clean: true, protocolVersion: 4, ...auth });
client.on('connect', () => {
  console.log(`connected as ${clientId}`);
  // Broadcasts of the walkthrough's second inflow rule; P2P commands need no subscription.
  client.subscribe('cmd/broadcast', { qos: 1 });
  let seq = 0;
  setInterval(() => {
    const payload = JSON.stringify({ seq: seq++, t: 20 + Math.round(Math.random() * 50) / 10 });
    client.publish(`telemetry/${deviceId}`, payload, { qos: 1 });
  }, 3_000);
});
client.on('message', (topic, payload) => console.log(`command on ${topic}: ${payload.toString()}`));
client.on('error', (err) => console.error(err.message));
