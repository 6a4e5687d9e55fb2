import { mkdir } from 'node:fs/promises';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import mqtt from 'mqtt';
import { computeSignature } from '#auth';
import { launchChromium } from '../helpers/browser.js';
import { startFleetMq, type FleetMqProcess } from '../helpers/fleetmq-process.js';
import { UPLINK_TOPIC } from '#messaging';
import { consumeRecords, createTopic, deleteTopics, endOffsets } from '../helpers/kafka.js';
import { waitFor } from '../helpers/wait.js';

// The web console in a real Chromium against the real all-in-one process (embedded PostgreSQL,
// the test Kafka, the rule router): what an operator does after `npm start`.
// FLEETMQ_WEB_SCREENSHOTS=1 also refreshes the docs/console-*.png screenshots.
const SCREENSHOTS = process.env.FLEETMQ_WEB_SCREENSHOTS === '1';
const CLIENT_ID = 'GID_sensors@@@web-1';

describe('web console in Chromium', () => {
  let fleetmq: FleetMqProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let instanceId = '';
  let accessKeyId = '';
  let secret = '';
  let ruleTopic = '';
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ruleTopic = await createTopic('web-console-rule', 1);
    fleetmq = await startFleetMq({ FLEETMQ_OVERVIEW_SAMPLE_MS: '1000', FLEETMQ_HEARTBEAT_MS: '500', FLEETMQ_SESSION_FLUSH_MS: '200' });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: fleetmq.httpUrl });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // Answers the tests provoke (401, 400, 404) are logged as failed loads: not page faults.
    page.on('console', (msg) => msg.type() === 'error' && !msg.text().startsWith('Failed to load resource') && pageErrors.push(msg.text()));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await fleetmq?.stop();
    // The router creates missing rule targets; remove what this run made.
    // One at a time: a topic that was never created must not keep the others.
    if (ruleTopic) for (const topic of [ruleTopic, `${ruleTopic}-commands`, `${ruleTopic}-presence`]) await deleteTopics([topic]);
  }, 60_000);

  const field = (label: string): Locator => page.getByLabel(label, { exact: true });
  const tab = async (name: string): Promise<void> => {
    const link = page.getByRole('navigation', { name: 'Instance' }).getByRole('link', { name, exact: true });
    await link.click();
    // The link is marked current in the render that shows its page: filling a field before that
    // could fill the page left behind (the Clients and simulator pages also have a Client ID).
    await waitFor(async () => (await link.getAttribute('aria-current')) === 'page', { what: `the ${name} tab shown` });
  };
  const shot = async (name: string): Promise<void> => {
    if (!SCREENSHOTS) return;
    await mkdir('docs', { recursive: true });
    await page.screenshot({ path: `docs/console-${name}.png`, fullPage: true });
  };

  it("is served at the start banner's URL and signs in with the admin token (kept for the tab)", async () => {
    const url = /FleetMQ ready\. Console (http:\/\/\S+)/.exec(fleetmq.output())?.[1];
    expect(url).toBe(`${fleetmq.httpUrl}/`);
    await page.goto(url!);
    await field('Admin token').fill('not-the-token-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.field-error').filter({ hasText: 'wrong admin token' }).waitFor();
    await field('Admin token').fill(fleetmq.adminToken);
    await field('Admin token').press('Enter');
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(await page.evaluate("sessionStorage.getItem('fleetmq.adminToken')")).toBe(fleetmq.adminToken);
  }, 60_000);

  it('creates an instance from the keyboard and its parent topics', async () => {
    await page.getByRole('link', { name: 'Instances', exact: true }).click();
    await field('Name').fill(`web-${Date.now()}`);
    await field('Name').press('Enter');
    await page.waitForURL(/#\/instances\/fmq-[a-z0-9]+/);
    instanceId = decodeURIComponent(/#\/instances\/([^/]+)/.exec(page.url())![1]!);
    for (const topic of ['telemetry', 'cmd']) {
      await field('Parent topic').fill(topic);
      await page.getByRole('button', { name: 'Create', exact: true }).click();
      await page.getByRole('cell', { name: topic, exact: true }).waitFor();
    }
  }, 60_000);

  it("shows the API's problem+json error next to the field it names, then creates the group", async () => {
    await tab('Groups');
    await field('Group ID').fill('sensors');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const groupField = page.locator('.field', { has: field('Group ID') });
    const error = groupField.locator('.field-error');
    await error.waitFor();
    expect(await error.textContent()).toContain('must be GID_ followed by');
    await shot('field-error');
    // The input names its error for screen readers, and the error sits in the Group ID field only.
    expect(await field('Group ID').getAttribute('aria-describedby')).toContain(await error.getAttribute('id'));
    expect(await field('Group ID').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.field', { has: field('Description') }).locator('.field-error').count()).toBe(0);
    // Keyboard only: Tab from the field past the description to the button, Enter presses it.
    await field('Group ID').fill('GID_sensors');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.name')).toBe('description');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Create');
    await page.keyboard.press('Enter');
    await page.getByRole('cell', { name: 'GID_sensors', exact: true }).waitFor();
    expect(await groupField.locator('.field-error').count()).toBe(0);
  }, 60_000);

  it('creates an access key, shows its secret once, and copies it', async () => {
    await tab('Access keys');
    await page.getByRole('button', { name: 'Create access key' }).click();
    await page.getByTestId('new-secret').waitFor();
    secret = (await page.getByTestId('new-secret').textContent())!.trim();
    accessKeyId = (await page.getByTestId('new-access-key-id').textContent())!.trim();
    expect(secret.length).toBeGreaterThanOrEqual(16);
    await page.getByRole('button', { name: 'Copy secret key' }).click();
    await page.getByRole('button', { name: 'Copy secret key' }).filter({ hasText: 'Copied' }).waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(secret);
    await page.getByRole('cell', { name: accessKeyId, exact: true }).waitFor();
    await shot('access-keys');
    await page.getByRole('button', { name: 'I stored it' }).click();
    await page.reload();
    await page.getByRole('cell', { name: accessKeyId, exact: true }).waitFor();
    expect(await page.content()).not.toContain(secret);
  }, 60_000);

  it('creates an outflow rule', async () => {
    await tab('Rules');
    await field('Rule name').fill('telemetry-out');
    await field('Kind').selectOption('outflow');
    await field('Source MQTT topic filter').fill('telemetry/#');
    await field('Target Kafka topic').fill(ruleTopic);
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.getByRole('cell', { name: 'telemetry-out', exact: true }).waitFor();
    const rules = (await (
      await fetch(`${fleetmq.httpUrl}/api/v1/instances/${instanceId}/rules`, { headers: { authorization: `Bearer ${fleetmq.adminToken}` } })
    ).json()) as { items: Array<{ name: string; kind: string; source: unknown; target: Record<string, unknown>; enabled: boolean }> };
    expect(rules.items).toEqual([
      expect.objectContaining({ name: 'telemetry-out', kind: 'outflow', source: { topicFilter: 'telemetry/#' }, enabled: true, target: expect.objectContaining({ kafkaTopic: ruleTopic }) }),
    ]);
    await shot('rules');
  }, 60_000);

  it('edits, disables and enables the rule, and shows its counters', async () => {
    const row = () => page.getByRole('row').filter({ hasText: 'telemetry-out' });
    await page.getByRole('button', { name: 'Edit rule telemetry-out' }).click();
    await field('Source MQTT topic filter').fill('telemetry/+/temperature');
    await page.getByRole('button', { name: 'Save rule' }).click();
    await row().filter({ hasText: 'telemetry/+/temperature' }).waitFor();
    await page.getByRole('button', { name: 'Disable rule telemetry-out' }).click();
    await row().getByRole('cell', { name: 'disabled', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Enable rule telemetry-out' }).click();
    await row().getByRole('cell', { name: 'enabled', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Stats of rule telemetry-out' }).click();
    await row().filter({ hasText: /\d+ \/ \d+ \/ \d+/ }).waitFor();
  }, 60_000);

  it('creates an inflow and a status rule', async () => {
    await field('Rule name').fill('commands-in');
    await field('Kind').selectOption('inflow');
    await field('Source Kafka topic').fill(`${ruleTopic}-commands`);
    await field('Target MQTT topic template').fill('cmd/p2p/${key}');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.getByRole('cell', { name: 'commands-in', exact: true }).waitFor();
    await field('Rule name').fill('presence-out');
    await field('Kind').selectOption('status');
    await field('Target Kafka topic').fill(`${ruleTopic}-presence`);
    await field('Record key').selectOption('none');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.getByRole('cell', { name: 'presence-out', exact: true }).waitFor();
    const rules = (await (
      await fetch(`${fleetmq.httpUrl}/api/v1/instances/${instanceId}/rules`, { headers: { authorization: `Bearer ${fleetmq.adminToken}` } })
    ).json()) as { items: Array<{ name: string; kind: string; source: unknown; target: unknown }> };
    expect(rules.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'commands-in', kind: 'inflow', source: { kafkaTopic: `${ruleTopic}-commands` }, target: expect.objectContaining({ topicTemplate: 'cmd/p2p/${key}' }) }),
        expect.objectContaining({ name: 'presence-out', kind: 'status', source: {}, target: { kafkaTopic: `${ruleTopic}-presence`, keyStrategy: 'none' } }),
      ]),
    );
  }, 60_000);

  it("shows the API's error when a row action fails (the rules were deleted behind the page's back)", async () => {
    const rules = (await (
      await fetch(`${fleetmq.httpUrl}/api/v1/instances/${instanceId}/rules`, { headers: { authorization: `Bearer ${fleetmq.adminToken}` } })
    ).json()) as { items: Array<{ id: string; name: string }> };
    const idOf = (name: string): string => rules.items.find((r) => r.name === name)!.id;
    for (const name of ['commands-in', 'presence-out']) {
      const removed = await fetch(`${fleetmq.httpUrl}/api/v1/instances/${instanceId}/rules/${encodeURIComponent(idOf(name))}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${fleetmq.adminToken}` },
      });
      expect(removed.status).toBe(204);
    }
    // PATCH refused: its 404 is shown, naming the rule.
    await page.getByRole('button', { name: 'Disable rule commands-in' }).click();
    await page.getByRole('alert').filter({ hasText: idOf('commands-in') }).waitFor();
    // DELETE refused: the alert now names the other rule, and its row was not dropped as if deleted.
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete rule presence-out' }).click();
    await page.getByRole('alert').filter({ hasText: idOf('presence-out') }).waitFor();
    expect(await page.getByRole('row').filter({ hasText: 'presence-out' }).count()).toBe(1);
  }, 60_000);

  it('applies for a token, queries it and revokes it', async () => {
    await tab('Tokens');
    await field('Access key ID').fill(accessKeyId);
    await field('Resources (one topic filter per line)').fill('telemetry/#\ncmd/+');
    await field('Actions').selectOption('RW');
    await field('Expires in (minutes)').fill('30');
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    await page.getByRole('button', { name: 'Copy token' }).waitFor();
    const token = (await page.locator('code.wrap').textContent())!.trim();
    await field('Token').fill(token);
    await page.getByRole('button', { name: 'Query', exact: true }).click();
    const answer = page.getByLabel('Answer');
    await answer.filter({ hasText: '"revoked": false' }).waitFor();
    expect(await answer.textContent()).toContain('telemetry/#');
    await page.getByRole('button', { name: 'Revoke', exact: true }).click();
    await answer.filter({ hasText: '"revoked": true' }).waitFor();
  }, 60_000);

  it('registers, refreshes and unregisters a device credential', async () => {
    await tab('Device credentials');
    await field('Client ID').fill('GID_sensors@@@web-2');
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    await page.getByRole('button', { name: 'Copy device secret' }).waitFor();
    const secretOf = async () => (await page.locator('.details code').last().textContent())!.trim();
    const first = await secretOf();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByText(/^refreshed/).waitFor();
    expect(await secretOf()).not.toBe(first);
    await page.getByRole('button', { name: 'Unregister' }).click();
    await page.getByText('GID_sensors@@@web-2 unregistered').waitFor();
    await page.getByRole('button', { name: 'Look up' }).click();
    await page.locator('.field-error, .form-error').filter({ hasText: 'does not exist' }).waitFor();
  }, 60_000);

  it('connects the simulator over WebSocket with a signature it computes, and publishes to Kafka', async () => {
    await tab('Device simulator');
    await waitFor(async () => (await field('WebSocket URL').inputValue()).startsWith('ws://'), { what: 'the proposed WebSocket URL' });
    expect(await field('WebSocket URL').inputValue()).toBe(`ws://127.0.0.1:${fleetmq.ports.ws}/mqtt`);
    await field('Client ID').fill(CLIENT_ID);
    await field('Access key ID').fill(accessKeyId);
    await field('Secret key').fill(secret);
    // The page's plain-JS HMAC-SHA1 gives the password the gateway computes.
    expect(await page.getByTestId('sim-password').textContent()).toBe(computeSignature(secret, CLIENT_ID));
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByTestId('sim-status').filter({ hasText: /^connected/ }).waitFor({ timeout: 20_000 });

    // The record on fleetmq.uplink proves the publish went through the gateway to Kafka. (The
    // rule's own routing is left to the rule-router specs: every all-in-one process on a shared
    // Kafka joins the same outflow group, so another one may take this instance's records.)
    const payload = `{"t":${Date.now()}}`;
    const startAt = await endOffsets(UPLINK_TOPIC);
    const uplinked = consumeRecords(UPLINK_TOPIC, 1, {
      startAt,
      filter: (r) => r.key?.toString() === `${instanceId}/${CLIENT_ID}` && r.value?.toString() === payload,
      timeoutMs: 30_000,
    });
    await field('Publish topic').fill('telemetry/web-1');
    await field('Message').fill(payload);
    await field('QoS').selectOption('1');
    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    const [record] = await uplinked;
    expect(record!.headers?.['fleetmq-topic']?.toString()).toBe('telemetry/web-1');
    await field('Topic filter').fill('cmd/#');
    await page.getByRole('button', { name: 'Subscribe', exact: true }).click();
    await page.getByText('Subscribed: cmd/#').waitFor();
    await page.getByRole('cell', { name: 'published' }).first().waitFor();
  }, 90_000);

  it('sends a P2P message and a batch from the console page; the simulated device receives its P2P messages', async () => {
    await tab('Send message');
    await field('Delivery').selectOption('p2p');
    await field('Parent topic').fill('cmd');
    await field('Target client ID').fill(CLIENT_ID);
    await field('Payload').fill('reboot now');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.getByText(/^sent, msgId /).waitFor();
    const batchField = field('Messages (JSON array, at most 100)');
    await batchField.fill('[{"topic": "cmd/all", "payload": "one"},');
    await page.getByRole('button', { name: 'Send batch' }).click();
    await page.locator('.field', { has: batchField }).locator('.field-error').filter({ hasText: 'not valid JSON' }).waitFor();
    await batchField.fill(`[{"topic": "cmd/all", "payload": "one"}, {"topic": "cmd/p2p/${CLIENT_ID}", "clientId": "${CLIENT_ID}", "payload": "two"}]`);
    await page.getByRole('button', { name: 'Send batch' }).click();
    await page.getByText('sent 2 messages').waitFor();
    await shot('send-message');
    await tab('Device simulator');
    const row = page.getByTestId('sim-messages').getByRole('row').filter({ hasText: 'received' }).filter({ hasText: `cmd/p2p/${CLIENT_ID}` });
    await row.filter({ hasText: 'reboot now' }).waitFor({ timeout: 20_000 });
    await row.filter({ hasText: 'two' }).waitFor({ timeout: 20_000 });
    // The batch's broadcast reaches the simulator through its subscription.
    await page.getByTestId('sim-messages').getByRole('row').filter({ hasText: 'received' }).filter({ hasText: 'cmd/all' }).filter({ hasText: 'one' }).waitFor();
    await shot('simulator');
  }, 60_000);

  it('looks the simulated client up and kicks it', async () => {
    await tab('Clients');
    await field('Client ID').fill(CLIENT_ID);
    await page.getByRole('button', { name: 'Look up' }).click();
    await page.getByRole('definition').filter({ hasText: /^online$/ }).waitFor();
    await page.getByRole('button', { name: 'Kick' }).click();
    await page.getByText(/^kick of .* requested/).waitFor();
    await tab('Device simulator');
    await page.getByTestId('sim-status').filter({ hasText: /^disconnected/ }).waitFor({ timeout: 20_000 });
  }, 60_000);

  it('connects the simulator with a device credential registered on the page', async () => {
    const clientId = 'GID_sensors@@@web-3';
    await tab('Device credentials');
    await field('Client ID').fill(clientId);
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    await page.getByRole('button', { name: 'Copy device secret' }).waitFor();
    const deviceKeyId = (await page.locator('.details code').first().textContent())!.trim();
    const deviceSecret = (await page.locator('.details code').last().textContent())!.trim();
    await tab('Device simulator');
    await field('Authentication').selectOption('DeviceCredential');
    await field('Client ID').fill(clientId);
    await field('Device access key ID').fill(deviceKeyId);
    await field('Device secret').fill(deviceSecret);
    expect(await page.getByTestId('sim-username').textContent()).toBe(`DeviceCredential|${deviceKeyId}|${instanceId}`);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByTestId('sim-status').filter({ hasText: `connected as ${clientId}` }).waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Disconnect' }).click();
    await page.getByTestId('sim-status').filter({ hasText: /^disconnected/ }).waitFor();
  }, 60_000);

  it('moves the overview charts when traffic flows', async () => {
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    const chart = page.getByTestId('chart-messages');
    await chart.waitFor();
    // The newest value each chart shows (its data-latest attribute); the page polls the history.
    const latest = async (id: string): Promise<number> => Number((await page.getByTestId(id).getAttribute('data-latest'))?.split(',')[0]);
    const poll = { timeoutMs: 45_000, intervalMs: 250 };
    // The simulator's messages are over: the chart first settles at 0 messages/s in.
    await waitFor(async () => (await latest('chart-messages')) === 0, { ...poll, what: 'a quiet chart' });
    const before = await chart.locator('path').first().getAttribute('d');
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${fleetmq.ports.mqtt}`, { reconnectPeriod: 0 });
    const load = setInterval(() => void device.publishAsync('demo/load', 'x', { qos: 0 }).catch(() => undefined), 20);
    try {
      await waitFor(async () => (await latest('chart-messages')) > 0 && (await latest('chart-connections')) > 0, { ...poll, what: 'traffic on the charts' });
      // The curve is scaled to its own maximum: a new sample can leave the drawn path as it was
      // for one poll (CI once saw it), so the test waits, traffic still flowing, for it to move.
      await waitFor(async () => (await chart.locator('path').first().getAttribute('d')) !== before, { ...poll, what: 'the curve to move' });
      // For the README's picture: a few more seconds of traffic, so the curves have a shape.
      if (SCREENSHOTS) await new Promise((resolve) => setTimeout(resolve, 20_000));
    } finally {
      clearInterval(load);
    }
    expect(await page.getByTestId('kafka-state').textContent()).toBe('up');
    expect(await page.getByTestId('database-state').textContent()).toBe('up');
    await shot('overview');
    await device.endAsync();
  }, 90_000);

  it('lists instances and deletes one, and lists nodes', async () => {
    await page.getByRole('link', { name: 'Instances', exact: true }).click();
    await page.getByRole('link', { name: instanceId }).waitFor();
    await shot('instances');
    await field('Name').fill('short-lived');
    await page.getByRole('button', { name: 'Create instance' }).click();
    await page.waitForURL(/#\/instances\/fmq-[a-z0-9]+/);
    const doomed = decodeURIComponent(/#\/instances\/([^/]+)/.exec(page.url())![1]!);
    await page.getByRole('link', { name: 'Instances', exact: true }).click();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: `Delete instance ${doomed}` }).click();
    await page.getByRole('link', { name: doomed }).waitFor({ state: 'detached' });
    const gone = await fetch(`${fleetmq.httpUrl}/api/v1/instances/${doomed}`, { headers: { authorization: `Bearer ${fleetmq.adminToken}` } });
    expect(gone.status).toBe(404);
    await page.getByRole('link', { name: 'Nodes', exact: true }).click();
    await page.getByRole('cell', { name: 'live' }).first().waitFor();
  }, 60_000);

  it('raised no script error or Content-Security-Policy violation on any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
