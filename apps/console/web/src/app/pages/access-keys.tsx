import { type ReactNode, useState } from 'react';
import { api, instancePath, type Page } from '../api.js';
import { CopyButton, Field, FormError, LoadError, useFormState, useLoad } from '../forms.js';

interface AccessKey {
  accessKeyId: string;
  permission: string;
  enabled: boolean;
  description: string;
  createdAt: string;
}

export function AccessKeysTab({ instanceId }: { instanceId: string }): ReactNode {
  const base = instancePath(instanceId, '/access-keys');
  const list = useLoad(base, () => api<Page<AccessKey>>('GET', `${base}?limit=100`));
  const form = useFormState();
  const [permission, setPermission] = useState('ALL');
  const [description, setDescription] = useState('');
  const [created, setCreated] = useState<(AccessKey & { secretKey: string }) | null>(null);
  const create = () =>
    form.run(async () => {
      setCreated(await api('POST', base, { permission, ...(description ? { description } : {}) }));
      setDescription('');
      list.reload();
    }, ['permission', 'description']);
  const patch = async (key: AccessKey, body: object): Promise<void> => {
    await api('PATCH', `${base}/${encodeURIComponent(key.accessKeyId)}`, body);
    list.reload();
  };
  const remove = async (key: AccessKey): Promise<void> => {
    if (!window.confirm(`Delete access key ${key.accessKeyId}? Devices using it can no longer connect.`)) return;
    await api('DELETE', `${base}/${encodeURIComponent(key.accessKeyId)}`);
    list.reload();
  };
  return (
    <div>
      <h2>Access keys</h2>
      <form
        className="inline"
        aria-label="Create an access key"
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <Field label="Permission" name="permission" form={form} value={permission} onChange={setPermission} options={['ALL', 'PUB', 'SUB']} />
        <Field label="Description" name="description" form={form} value={description} onChange={setDescription} />
        <FormError form={form} />
        <button type="submit" disabled={form.busy}>
          Create access key
        </button>
      </form>
      {created && (
        <div className="secret" role="status" aria-live="polite">
          <p>
            <strong>Secret key of {created.accessKeyId}</strong>: shown this once only; store it now.
          </p>
          <p>
            <code data-testid="new-secret">{created.secretKey}</code> <CopyButton text={created.secretKey} label="Copy secret key" />
          </p>
          <p>
            Access key ID: <code data-testid="new-access-key-id">{created.accessKeyId}</code>{' '}
            <CopyButton text={created.accessKeyId} label="Copy access key ID" />
          </p>
          <button type="button" onClick={() => setCreated(null)}>
            I stored it
          </button>
        </div>
      )}
      <LoadError error={list.error} />
      <table>
        <thead>
          <tr>
            <th scope="col">Access key ID</th>
            <th scope="col">Permission</th>
            <th scope="col">State</th>
            <th scope="col">Description</th>
            <th scope="col">Created</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.data?.items.map((k) => (
            <tr key={k.accessKeyId}>
              <td>
                <code>{k.accessKeyId}</code>
              </td>
              <td>{k.permission}</td>
              <td className={`state ${k.enabled ? 'up' : 'down'}`}>{k.enabled ? 'enabled' : 'disabled'}</td>
              <td>{k.description}</td>
              <td>{new Date(k.createdAt).toLocaleString()}</td>
              <td>
                <button type="button" onClick={() => void patch(k, { enabled: !k.enabled })}>
                  {k.enabled ? 'Disable' : 'Enable'}
                </button>{' '}
                <button type="button" className="danger" onClick={() => void remove(k)} aria-label={`Delete access key ${k.accessKeyId}`}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
