import type { ReactNode } from 'react';
import { api, instancePath } from '../api.js';
import { LoadError, useLoad } from '../forms.js';
import { href } from '../router.js';
import { AccessKeysTab } from './access-keys.js';
import { ClientsTab } from './clients.js';
import { CredentialsTab } from './credentials.js';
import { GroupsTab, TopicsTab } from './topics-groups.js';
import type { Instance } from './instances.js';
import { MessagesTab } from './messages.js';
import { RulesTab } from './rules.js';
import { SimulatorTab } from './simulator.js';
import { TokensTab } from './tokens.js';

const TABS: Array<[string, string, (props: { instanceId: string }) => ReactNode]> = [
  ['topics', 'Parent topics', TopicsTab],
  ['groups', 'Groups', GroupsTab],
  ['keys', 'Access keys', AccessKeysTab],
  ['tokens', 'Tokens', TokensTab],
  ['credentials', 'Device credentials', CredentialsTab],
  ['rules', 'Rules', RulesTab],
  ['clients', 'Clients', ClientsTab],
  ['messages', 'Send message', MessagesTab],
  ['simulator', 'Device simulator', SimulatorTab],
];

export function InstancePage({ instanceId, tab }: { instanceId: string; tab: string }): ReactNode {
  const instance = useLoad(instanceId, () => api<Instance>('GET', instancePath(instanceId)));
  const [, , Tab] = TABS.find(([id]) => id === tab) ?? TABS[0]!;
  return (
    <section aria-labelledby="instance-title">
      <h1 id="instance-title">
        {instance.data?.name ?? instanceId} <small>{instanceId}</small>
      </h1>
      <LoadError error={instance.error} />
      <nav className="tabs" aria-label="Instance">
        {TABS.map(([id, label]) => (
          <a key={id} href={href('instances', instanceId, id)} aria-current={id === tab ? 'page' : undefined}>
            {label}
          </a>
        ))}
      </nav>
      <Tab instanceId={instanceId} />
    </section>
  );
}
