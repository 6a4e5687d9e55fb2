import { type ReactNode, useState } from 'react';
import { api, instancePath } from '../api.js';
import { ActionForm, Field, FormSubmit, useFormState } from '../forms.js';

interface ClientSession {
  clientId: string;
  online: boolean;
  nodeId: string;
  remoteAddress: string;
  connectedSince: string;
  disconnectedAt: string | null;
  subscriptions: Array<{ topic: string; qos: number }>;
}

export function ClientsTab({ instanceId }: { instanceId: string }): ReactNode {
  const form = useFormState();
  const [clientId, setClientId] = useState('');
  const [session, setSession] = useState<ClientSession | null>(null);
  const [note, setNote] = useState('');
  const path = instancePath(instanceId, `/clients/${encodeURIComponent(clientId)}`);
  const lookup = () =>
    form.run(async () => {
      setNote('');
      setSession(null);
      setSession(await api<ClientSession>('GET', path));
    }, ['clientId']);
  const kick = () =>
    form.run(async () => {
      await api('POST', `${path}/kick`);
      setNote(`kick of ${clientId} requested: the gateway holding it closes the connection`);
    }, ['clientId']);
  return (
    <div>
      <h2>Clients</h2>
      <ActionForm className="inline" label="Look up a client" onSubmit={lookup}>
        <Field label="Client ID" name="clientId" form={form} value={clientId} onChange={setClientId} placeholder="GID_sensors@@@device-1" />
        <FormSubmit form={form}>Look up</FormSubmit>
        <button type="button" className="danger" disabled={form.busy || !clientId} onClick={() => void kick()}>
          Kick
        </button>
      </ActionForm>
      {note && <p role="status">{note}</p>}
      {session && (
        <dl className="details" aria-label="Session">
          <dt>State</dt>
          <dd className={`state ${session.online ? 'up' : 'down'}`}>{session.online ? 'online' : 'offline'}</dd>
          <dt>Node</dt>
          <dd>{session.nodeId}</dd>
          <dt>Address</dt>
          <dd>{session.remoteAddress}</dd>
          <dt>Connected since</dt>
          <dd>{new Date(session.connectedSince).toLocaleString()}</dd>
          {session.disconnectedAt && (
            <>
              <dt>Disconnected at</dt>
              <dd>{new Date(session.disconnectedAt).toLocaleString()}</dd>
            </>
          )}
          <dt>Subscriptions</dt>
          <dd>{session.subscriptions.length === 0 ? 'none' : session.subscriptions.map((s) => `${s.topic} (QoS ${s.qos})`).join(', ')}</dd>
        </dl>
      )}
    </div>
  );
}
