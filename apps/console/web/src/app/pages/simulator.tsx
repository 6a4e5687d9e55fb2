import { type ReactNode, useEffect, useState, useSyncExternalStore } from 'react';
import { signClientId } from '../../lib/hmac-sha1.js';
import { api } from '../api.js';
import { ActionForm, Field, FormError, useFormState } from '../forms.js';
import { ListTable } from '../list-table.js';
import { simulator } from '../simulator.js';

interface ConsoleSettings {
  websocketPort: number;
  websocketPath: string;
}

const MODES = ['Signature', 'Token', 'DeviceCredential', 'anonymous'];

/**
 * The simulator's form values outlive the page (like its connection): coming back from sending
 * it a message shows what it is connected with. Page memory only, never stored.
 */
const kept = new Map<string, string>();

function useKept(key: string, initial: string): [string, (value: string) => void] {
  const [value, setValue] = useState(() => kept.get(key) ?? initial);
  return [
    value,
    (next: string) => {
      kept.set(key, next);
      setValue(next);
    },
  ];
}

/** A device in the browser: MQTT over WebSocket with the credentials of this instance. */
export function SimulatorTab({ instanceId }: { instanceId: string }): ReactNode {
  const state = useSyncExternalStore(simulator.subscribe, simulator.snapshot);
  const connectForm = useFormState();
  const [url, setUrl] = useKept('url', '');
  const [mode, setMode] = useKept('mode', 'Signature');
  const [keyId, setKeyId] = useKept('keyId', '');
  const [secret, setSecret] = useKept('secret', '');
  const [clientId, setClientId] = useKept('clientId', '');
  const [tokenPassword, setTokenPassword] = useKept('tokenPassword', '');
  useEffect(() => {
    api<ConsoleSettings>('GET', '/api/v1/web-console/settings').then(
      (s) => kept.get('url') || setUrl(`ws://${window.location.hostname}:${s.websocketPort}${s.websocketPath}`),
      () => kept.get('url') || setUrl(`ws://${window.location.hostname}:8083/mqtt`),
    );
  }, []);
  const signed = mode === 'Signature' || mode === 'DeviceCredential';
  const password = signed ? (secret ? signClientId(secret, clientId) : '') : mode === 'Token' ? tokenPassword : '';
  const username = mode === 'anonymous' ? '' : `${mode}|${keyId}|${instanceId}`;
  const connect = () => connectForm.run(async () => simulator.connect({ url, clientId, username, password }), []);

  const ioForm = useFormState();
  const [filter, setFilter] = useKept('filter', '');
  const [topic, setTopic] = useKept('topic', '');
  const [payload, setPayload] = useKept('payload', '');
  const [qos, setQos] = useKept('qos', '1');

  return (
    <div>
      <h2>Device simulator</h2>
      <p>
        Connects from this browser as a device (MQTT.js over WebSocket). It stays connected while you use other pages, e.g.
        to send it a P2P message.
      </p>
      <div className="columns">
        <ActionForm label="Connect the simulated device" onSubmit={connect}>
          <Field label="WebSocket URL" name="url" form={connectForm} value={url} onChange={setUrl} />
          <Field label="Authentication" name="mode" form={connectForm} value={mode} onChange={setMode} options={MODES} />
          <Field label="Client ID" name="clientId" form={connectForm} value={clientId} onChange={setClientId} placeholder="GID_sensors@@@device-1" />
          {mode !== 'anonymous' && (
            <Field label={mode === 'DeviceCredential' ? 'Device access key ID' : 'Access key ID'} name="keyId" form={connectForm} value={keyId} onChange={setKeyId} />
          )}
          {signed && (
            <Field
              label={mode === 'DeviceCredential' ? 'Device secret' : 'Secret key'}
              name="secret"
              type="password"
              form={connectForm}
              value={secret}
              onChange={setSecret}
              hint="stays in this page; it signs the client ID (HMAC-SHA1) into the password"
            />
          )}
          {mode === 'Token' && <Field label="Token password" name="tokenPassword" form={connectForm} value={tokenPassword} onChange={setTokenPassword} placeholder="RW|<token>" />}
          <p className="hint">
            Username <code data-testid="sim-username">{username || '(none)'}</code>
            {signed && (
              <>
                , password <code data-testid="sim-password">{password || '(enter the secret)'}</code>
              </>
            )}
          </p>
          <FormError form={connectForm} />
          <button type="submit">Connect</button>{' '}
          <button type="button" onClick={() => simulator.disconnect()} disabled={state.status === 'disconnected'}>
            Disconnect
          </button>
          <p role="status" data-testid="sim-status" className={`state ${state.status === 'connected' ? 'up' : state.status === 'error' ? 'down' : ''}`}>
            {state.status}
            {state.detail ? `: ${state.detail}` : ''}
          </p>
        </ActionForm>
        <div>
          <ActionForm className="inline" label="Subscribe" onSubmit={() => ioForm.run(() => simulator.subscribeTo(filter, Number(qos) as 0 | 1), [])}>
            <Field label="Topic filter" name="filter" form={ioForm} value={filter} onChange={setFilter} placeholder="cmd/#" />
            <button type="submit">Subscribe</button>
          </ActionForm>
          {state.subscriptions.length > 0 && <p>Subscribed: {state.subscriptions.join(', ')}</p>}
          <ActionForm label="Publish" onSubmit={() => ioForm.run(() => simulator.publish(topic, payload, Number(qos) as 0 | 1), [])}>
            <Field label="Publish topic" name="topic" form={ioForm} value={topic} onChange={setTopic} placeholder="telemetry/device-1" />
            <Field label="Message" name="payload" form={ioForm} value={payload} onChange={setPayload} />
            <Field label="QoS" name="qos" form={ioForm} value={qos} onChange={setQos} options={['0', '1']} />
            <FormError form={ioForm} />
            <button type="submit">Publish</button>
          </ActionForm>
        </div>
      </div>
      <h3>Messages</h3>
      <button type="button" onClick={() => simulator.clear()}>
        Clear
      </button>
      <ListTable columns={['Time', 'Direction', 'Topic', 'Payload']} aria-label="Simulator messages" data-testid="sim-messages">
          {state.messages.map((m, i) => (
            <tr key={`${m.at}-${i}`}>
              <td>{new Date(m.at).toLocaleTimeString()}</td>
              <td>{m.direction === 'in' ? 'received' : 'published'}</td>
              <td>{m.topic}</td>
              <td>
                <code>{m.payload}</code>
              </td>
            </tr>
          ))}
      </ListTable>
    </div>
  );
}
