import { type ReactNode, useState } from 'react';
import { api, instancePath } from '../api.js';
import { ActionForm, CopyButton, Field, FormSubmit, useFormState } from '../forms.js';

interface DeviceCredential {
  clientId: string;
  deviceAccessKeyId: string;
  deviceAccessKeySecret?: string;
  createdAt?: string;
  updatedAt?: string;
}

/** Register, look up, refresh and unregister the per-device credential of one client ID. */
export function CredentialsTab({ instanceId }: { instanceId: string }): ReactNode {
  const base = instancePath(instanceId, '/device-credentials');
  const form = useFormState();
  const [clientId, setClientId] = useState('');
  const [shown, setShown] = useState<DeviceCredential | null>(null);
  const [note, setNote] = useState('');
  const one = `${base}/${encodeURIComponent(clientId)}`;
  const act = (work: () => Promise<void>) => form.run(work, ['clientId']);
  return (
    <div>
      <h2>Device credentials</h2>
      <ActionForm
        className="inline"
        label="Device credential"
        onSubmit={() =>
          act(async () => {
            setShown(await api('POST', base, { clientId }));
            setNote('registered');
          })
        }
      >
        <Field label="Client ID" name="clientId" form={form} value={clientId} onChange={setClientId} placeholder="GID_sensors@@@device-0001" />
        <FormSubmit form={form}>Register</FormSubmit>
        <button type="button" disabled={form.busy} onClick={() => void act(async () => (setShown(await api('GET', one)), setNote('found')))}>
          Look up
        </button>
        <button type="button" disabled={form.busy} onClick={() => void act(async () => (setShown(await api('POST', `${one}/refresh`)), setNote('refreshed: the old secret no longer works')))}>
          Refresh
        </button>
        <button
          type="button"
          className="danger"
          disabled={form.busy}
          onClick={() => void act(async () => (await api('DELETE', one), setShown(null), setNote(`${clientId} unregistered`)))}
        >
          Unregister
        </button>
      </ActionForm>
      {note && <p role="status">{note}</p>}
      {shown && (
        <dl className="details">
          <dt>Client ID</dt>
          <dd>{shown.clientId}</dd>
          <dt>Device access key ID</dt>
          <dd>
            <code>{shown.deviceAccessKeyId}</code>
          </dd>
          {shown.deviceAccessKeySecret && (
            <>
              <dt>Device secret (shown once)</dt>
              <dd>
                <code>{shown.deviceAccessKeySecret}</code> <CopyButton text={shown.deviceAccessKeySecret} label="Copy device secret" />
              </dd>
            </>
          )}
        </dl>
      )}
    </div>
  );
}
