import { type ReactNode, useState } from 'react';
import { api, ApiError, instancePath } from '../api.js';
import { ActionForm, Field, FormSubmit, useFormState } from '../forms.js';

/** Send one message (to a topic, or P2P to one client) or a batch given as JSON. */
export function MessagesTab({ instanceId }: { instanceId: string }): ReactNode {
  const base = instancePath(instanceId, '/messages');
  const single = useFormState();
  const [mode, setMode] = useState('topic');
  const [topic, setTopic] = useState('');
  const [clientId, setClientId] = useState('');
  const [payload, setPayload] = useState('');
  const [qos, setQos] = useState('1');
  const [sent, setSent] = useState('');
  const send = () =>
    single.run(async () => {
      // P2P: the topic names its one target, `<parent>/p2p/<clientId>`, and clientId says the same.
      const body =
        mode === 'p2p'
          ? { topic: `${topic}/p2p/${clientId}`, clientId, payload, qos: Number(qos) }
          : { topic, payload, qos: Number(qos) };
      const answer = await api<{ msgId: string }>('POST', base, body);
      setSent(`sent, msgId ${answer.msgId}`);
    }, ['topic', 'clientId', 'payload', 'qos']);

  const batch = useFormState();
  const [messages, setMessages] = useState('[\n  {"topic": "cmd/all", "payload": "hello", "qos": 1}\n]');
  const [batchSent, setBatchSent] = useState('');
  const sendBatch = () =>
    batch.run(async () => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(messages);
      } catch (err) {
        throw new ApiError(400, { errors: [{ field: 'messages', reason: `not valid JSON: ${(err as Error).message}` }] });
      }
      const answer = await api<{ msgIds: string[] }>('POST', `${base}/batch`, { messages: parsed });
      setBatchSent(`sent ${answer.msgIds.length} messages`);
    }, ['messages']);

  return (
    <div className="columns">
      <ActionForm label="Send a message" onSubmit={send}>
        <h2>Send a message</h2>
        <Field label="Delivery" name="mode" form={single} value={mode} onChange={setMode} options={['topic', 'p2p']} hint="topic: every subscriber; p2p: one client, no subscription needed" />
        <Field
          label={mode === 'p2p' ? 'Parent topic' : 'Topic'}
          name="topic"
          form={single}
          value={topic}
          onChange={setTopic}
          placeholder={mode === 'p2p' ? 'cmd' : 'cmd/GID_sensors/reboot'}
        />
        {mode === 'p2p' && <Field label="Target client ID" name="clientId" form={single} value={clientId} onChange={setClientId} placeholder="GID_sensors@@@device-1" />}
        <Field label="Payload" name="payload" form={single} value={payload} onChange={setPayload} multiline />
        <Field label="QoS" name="qos" form={single} value={qos} onChange={setQos} options={['0', '1']} />
        <FormSubmit form={single}>Send</FormSubmit>
        {sent && <p role="status">{sent}</p>}
      </ActionForm>
      <ActionForm label="Send a batch" onSubmit={sendBatch}>
        <h2>Send a batch</h2>
        <Field label="Messages (JSON array, at most 100)" name="messages" form={batch} value={messages} onChange={setMessages} multiline hint='each {"topic", "payload", "qos"?, "clientId"? (P2P)}' />
        <FormSubmit form={batch}>Send batch</FormSubmit>
        {batchSent && <p role="status">{batchSent}</p>}
      </ActionForm>
    </div>
  );
}
