import { type ReactNode, useState } from 'react';
import { api, instancePath, type Page } from '../api.js';
import { Field, FormError, LoadError, useFormState, useLoad } from '../forms.js';
import { href } from '../router.js';

export interface Instance {
  id: string;
  name: string;
  description: string;
  anonymous?: boolean;
  createdAt: string;
}

export function InstancesPage(): ReactNode {
  const list = useLoad('instances', () => api<Page<Instance>>('GET', '/api/v1/instances?limit=100'));
  const form = useFormState();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const create = () =>
    form.run(async () => {
      const created = await api<Instance>('POST', '/api/v1/instances', { name, ...(description ? { description } : {}) });
      setName('');
      setDescription('');
      list.reload();
      window.location.hash = href('instances', created.id);
    }, ['name', 'description']);
  const remove = async (instance: Instance): Promise<void> => {
    if (!window.confirm(`Delete instance ${instance.name} (${instance.id}) and everything in it?`)) return;
    await api('DELETE', instancePath(instance.id));
    list.reload();
  };
  return (
    <section aria-labelledby="instances-title">
      <h1 id="instances-title">Instances</h1>
      <form
        className="inline"
        aria-label="Create an instance"
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <Field label="Name" name="name" form={form} value={name} onChange={setName} placeholder="fleet-eu" />
        <Field label="Description" name="description" form={form} value={description} onChange={setDescription} />
        <FormError form={form} />
        <button type="submit" disabled={form.busy}>
          Create instance
        </button>
      </form>
      <LoadError error={list.error} />
      <table>
        <thead>
          <tr>
            <th scope="col">ID</th>
            <th scope="col">Name</th>
            <th scope="col">Description</th>
            <th scope="col">Created</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.data?.items.map((i) => (
            <tr key={i.id}>
              <td>
                <a href={href('instances', i.id)}>{i.id}</a>
              </td>
              <td>{i.name}</td>
              <td>{i.description}{i.anonymous ? ' (anonymous clients)' : ''}</td>
              <td>{new Date(i.createdAt).toLocaleString()}</td>
              <td>
                <button type="button" className="danger" onClick={() => void remove(i)} aria-label={`Delete instance ${i.id}`}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
