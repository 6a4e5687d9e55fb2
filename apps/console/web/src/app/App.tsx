import { type ReactNode, useState, useSyncExternalStore } from 'react';
import { api, ApiError, forgetToken, onTokenChange, storedToken, storeToken } from './api.js';
import { Field, FormError, useFormState } from './forms.js';
import { InstancePage } from './pages/instance.js';
import { InstancesPage } from './pages/instances.js';
import { NodesPage } from './pages/nodes.js';
import { OverviewPage } from './pages/overview.js';
import { href, useRoute } from './router.js';

export function App(): ReactNode {
  const token = useSyncExternalStore(onTokenChange, storedToken);
  const route = useRoute();
  if (!token) return <SignIn />;
  const [section = 'overview', instanceId, tab] = route;
  let page: ReactNode;
  if (section === 'instances' && instanceId) page = <InstancePage instanceId={instanceId} tab={tab ?? 'topics'} />;
  else if (section === 'instances') page = <InstancesPage />;
  else if (section === 'nodes') page = <NodesPage />;
  else page = <OverviewPage />;
  return (
    <div className="shell">
      <header>
        <a className="brand" href={href()}>
          FleetMQ
        </a>
        <nav aria-label="Main">
          <a href={href('overview')} aria-current={section === 'overview' ? 'page' : undefined}>
            Overview
          </a>
          <a href={href('instances')} aria-current={section === 'instances' ? 'page' : undefined}>
            Instances
          </a>
          <a href={href('nodes')} aria-current={section === 'nodes' ? 'page' : undefined}>
            Nodes
          </a>
        </nav>
        <button type="button" className="link" onClick={forgetToken}>
          Sign out
        </button>
      </header>
      <main>{page}</main>
    </div>
  );
}

function SignIn(): ReactNode {
  const form = useFormState();
  const [token, setToken] = useState('');
  const [remember, setRemember] = useState(false);
  const submit = () =>
    form.run(async () => {
      try {
        await api('GET', '/api/v1/instances?limit=1', undefined, token.trim());
      } catch (err) {
        // Shown next to the token field: it is the one thing the operator can fix here.
        const status = err instanceof ApiError ? err.status : 0;
        throw new ApiError(status, { errors: [{ field: 'token', reason: (err as Error).message }] });
      }
      storeToken(token.trim(), remember);
    }, ['token']);
  return (
    <main className="sign-in">
      <h1>FleetMQ console</h1>
      <p>Enter the admin token (printed by <code>npm start</code>, kept in <code>.fleetmq/admin-token</code>).</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Field label="Admin token" name="token" type="password" form={form} value={token} onChange={setToken} required />
        <div className="field checkbox">
          <input id="remember" type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} />
          <label htmlFor="remember">Remember on this browser</label>
        </div>
        <FormError form={form} />
        <button type="submit" disabled={form.busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
