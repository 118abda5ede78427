// The bridge's live dashboard: everything here goes through the browser client (/client/bridge.js), except
// the ledger feed (JSON-RPC on /websocket) and the notifications history (GET /api/notifications).
import { BridgeClient } from '/client/bridge.js';

const $ = (id) => document.getElementById(id);
const wsBase = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
const params = new URLSearchParams(location.search);
let adminToken = params.get('token') ?? sessionStorage.getItem('bridge.adminToken');
const channelToken = params.get('channelToken') ?? adminToken ?? undefined;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

const clock = (value) => {
  const date = value ? new Date(value) : new Date();
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleTimeString([], { hour12: false });
};

function ago(value) {
  const ms = Date.now() - new Date(value).getTime();
  if (!Number.isFinite(ms)) return '';
  if (ms < 60_000) return `${Math.max(0, Math.round(ms / 1000))}s ago`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m ago`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)}h ago`;
  return `${Math.round(ms / 86_400_000)}d ago`;
}

// ---- traffic counters ----
let eventCount = 0;
const recent = [];
function countEvent() {
  eventCount++;
  recent.push(Date.now());
}
setInterval(() => {
  const cutoff = Date.now() - 60_000;
  while (recent.length && recent[0] < cutoff) recent.shift();
  $('stat-events').textContent = eventCount.toLocaleString();
  $('stat-rate').textContent = recent.length.toLocaleString();
}, 1000);

// ---- connection status ----
const client = new BridgeClient(`${wsBase}/`, { token: channelToken });
window.bridgeClient = client; // handy in the console
const statusText = { connecting: 'connecting…', open: 'live', reconnecting: 'reconnecting…', closed: 'disconnected', idle: 'idle' };
function showStatus(state) {
  $('status').dataset.state = state;
  $('status-text').textContent = statusText[state] ?? state;
  document.body.dataset.connection = state;
}
// The indicator shows the worst of the page's channel connections: 'live' only when every one is.
const connectionStates = new Map();
const severity = ['open', 'idle', 'connecting', 'reconnecting', 'closed'];
function trackStatus(name, source) {
  connectionStates.set(name, source.state);
  source.on('status', (state) => {
    connectionStates.set(name, state);
    showStatus([...connectionStates.values()].reduce((a, b) => (severity.indexOf(b) > severity.indexOf(a) ? b : a), 'open'));
  });
}
trackStatus('main', client);

// ---- inventory (nodes, skus, catalogs): all, then watch ----
const inventory = {
  nodes: { rows: new Map(), key: 'id', columns: [
    ['Name', (d) => d.name ?? d.id],
    ['Type', (d) => d.type ?? ''],
    ['SKU', (d) => inventory.skus.rows.get(d.sku)?.name ?? (d.sku ? d.sku.slice(-6) : '—')],
    ['Tags', (d) => tags(d.tags)],
    ['Updated', (d) => ago(d.updatedAt)],
    ['Id', (d) => d.id, 'mono'],
  ] },
  skus: { rows: new Map(), key: 'id', columns: [
    ['Name', (d) => d.name ?? d.id],
    ['Nodes', (d) => String([...inventory.nodes.rows.values()].filter((n) => n.sku === d.id).length)],
    ['Rules', (d) => String(d.rules?.length ?? 0)],
    ['Discovery graph', (d) => d.discoveryGraphName ?? '—'],
    ['Id', (d) => d.id, 'mono'],
  ] },
  catalogs: { rows: new Map(), key: 'id', columns: [
    ['Source', (d) => d.source ?? ''],
    ['Node', (d) => inventory.nodes.rows.get(d.node)?.name ?? d.node ?? ''],
    ['Created', (d) => ago(d.createdAt)],
    ['Id', (d) => d.id, 'mono'],
  ] },
};
let activeTab = 'nodes';
const flashed = new Set();

function tags(list) {
  const span = el('span');
  for (const tag of list ?? []) span.append(el('span', { class: 'tag' }, String(tag)));
  return span;
}

function renderInventory() {
  for (const [name, table] of Object.entries(inventory)) $(`count-${name}`).textContent = table.rows.size;
  const table = inventory[activeTab];
  const thead = $('inventory').tHead;
  const tbody = $('inventory').tBodies[0];
  thead.replaceChildren(el('tr', {}, ...table.columns.map(([title]) => el('th', {}, title))));
  const rows = [...table.rows.values()].sort((a, b) => String(a.name ?? a.source ?? a.id).localeCompare(String(b.name ?? b.source ?? b.id)));
  tbody.replaceChildren(...rows.map((doc) => {
    const id = doc[table.key];
    const tr = el('tr', { dataset: { id: String(id) } }, ...table.columns.map(([, value, cls]) => {
      const content = value(doc);
      return el('td', cls ? { class: cls } : {}, content);
    }));
    if (flashed.has(`${activeTab}:${id}`)) tr.classList.add('flash');
    return tr;
  }));
  flashed.clear();
}

for (const tab of document.querySelectorAll('.tabs button')) {
  tab.addEventListener('click', () => {
    activeTab = tab.dataset.tab;
    for (const other of document.querySelectorAll('.tabs button')) other.setAttribute('aria-selected', String(other === tab));
    renderInventory();
  });
}

let renderQueued = false;
function queueRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => { renderQueued = false; renderInventory(); });
}

async function loadInventory() {
  for (const name of Object.keys(inventory)) {
    try {
      const list = await client.all(name);
      inventory[name].rows = new Map(list.items.map((doc) => [doc[inventory[name].key], doc]));
    } catch (err) {
      console.warn(`inventory ${name}:`, err);
    }
  }
  queueRender();
}

for (const name of Object.keys(inventory)) {
  const watch = client.watch(undefined, name);
  watch.on('item', (msg) => {
    countEvent();
    const id = Array.isArray(msg.id) ? msg.id[1] : msg.id;
    inventory[name].rows.set(id, msg.data);
    flashed.add(`${name}:${id}`);
    queueRender();
  });
  watch.on('remove', (msg) => {
    countEvent();
    inventory[name].rows.delete(msg.id);
    queueRender();
  });
}

// ---- workflows: mq on.events graph.# ----
const workflows = new Map();
const workflowList = $('workflows');
function renderWorkflow(wf) {
  let li = workflowList.querySelector(`[data-graph="${CSS.escape(wf.graphId)}"]`);
  if (!li) {
    workflowList.querySelector('.empty')?.remove();
    li = el('li', { class: 'workflow', dataset: { graph: wf.graphId } },
      el('div', {}, el('span', { class: 'name' }), ' ', el('span', { class: 'node' })),
      el('span', { class: 'badge' }),
      el('div', { class: 'bar' }, el('span')),
      el('div', { class: 'task' }));
    workflowList.prepend(li);
    while (workflowList.children.length > 6) workflowList.lastElementChild.remove();
  }
  li.dataset.status = wf.status;
  li.querySelector('.name').textContent = wf.name;
  li.querySelector('.node').textContent = `on ${inventory.nodes.rows.get(wf.nodeId)?.name ?? wf.nodeId ?? '?'}`;
  const badge = li.querySelector('.badge');
  badge.className = `badge ${wf.status}`;
  badge.textContent = wf.status;
  // Every task done is not the graph done: until 'finished' arrives a running graph shows at most 99 %.
  const percent = wf.status === 'running' ? Math.min(wf.percent, 99) : wf.percent;
  li.querySelector('.bar span').style.width = `${percent}%`;
  li.querySelector('.task').textContent = `${percent}% · ${wf.task} · ${clock(wf.at)}`;
}

const graphs = client.watch({ exchange: 'on.events', routingKey: 'graph.#' }, 'mq');
graphs.on('item', (msg) => {
  countEvent();
  const body = msg.data ?? {};
  const data = body.data ?? {};
  const graphId = data.graphId ?? body.typeId;
  if (!graphId) return;
  const wf = workflows.get(graphId) ?? { graphId, name: data.graphName ?? 'Workflow', nodeId: body.nodeId, percent: 0, status: 'running', task: 'started' };
  wf.at = body.createdAt;
  if (body.action === 'started') { wf.status = 'running'; wf.task = 'started'; }
  if (body.action === 'progress.updated' && data.progress) {
    const max = Number(data.progress.maximum) || 1;
    wf.percent = Math.round((Number(data.progress.value) / max) * 100);
    wf.task = data.taskProgress?.taskName ?? data.progress.description ?? wf.task;
  }
  if (body.action === 'finished') {
    wf.status = data.status === 'succeeded' ? 'succeeded' : 'failed';
    wf.percent = wf.status === 'succeeded' ? 100 : wf.percent;
    wf.task = `finished (${data.status ?? 'unknown'})`;
  }
  workflows.set(graphId, wf);
  if (workflows.size > 50) workflows.delete(workflows.keys().next().value);
  renderWorkflow(wf);
});

// ---- live log: mq on.logging # ----
const logList = $('logs');
$('log-debug').addEventListener('change', (e) => $('logs').parentElement.classList.toggle('hide-debug', !e.target.checked));
// An mq item names its routing key, not its exchange: '#' on on.logging would also take on.events' graph.*
// items on a shared connection, so the log has a connection of its own.
const logClient = new BridgeClient(`${wsBase}/mq`, { token: channelToken });
const logs = logClient.watch({ exchange: 'on.logging', routingKey: '#' }, 'mq');
trackStatus('log', logClient);
trackRecovery('live log', logClient);
logClient.connect();
logs.on('item', (msg) => {
  countEvent();
  const body = msg.data ?? {};
  const level = String(body.level ?? msg.id ?? 'info').toLowerCase();
  const li = el('li', { class: level },
    el('time', {}, clock(body.timestamp)),
    el('span', { class: `lvl ${level}` }, level),
    el('span', { class: 'msg', title: body.message ?? '' }, String(body.message ?? JSON.stringify(body)), ' ',
      el('small', {}, body.context?.graphName ? `${body.module ?? ''} · ${body.context.graphName}` : (body.module ?? ''))));
  logList.prepend(li);
  while (logList.children.length > 200) logList.lastElementChild.remove();
});

// The watches recover (bridge.js does by default, issue 16 §1): after a reconnection they replay what they missed,
// so the inventory is loaded once, and again only when a watch says its gap could not be filled (or on a bridge
// that does not offer recovery and so never says).
let inventoryLoaded = false;
client.on('ready', () => {
  if (!inventoryLoaded) loadInventory();
  inventoryLoaded = true;
});
client.on('error', (err) => {
  if (err.request === 'watch' && err.code === 'not_supported') loadInventory();
});

// What the page tells the operator after a reconnection: how much was replayed, or that it had to reload.
function trackRecovery(name, source, onLost) {
  source.on('recovered', (msg) => {
    // supported false: the bridge keeps no history for that watch (bridge.js watches it without recovery).
    const text = msg.supported === false
      ? `${name}: this bridge cannot replay what is missed while disconnected (${msg.reason ?? 'not supported'}); reloaded`
      : msg.recovered
        ? `${name}: reconnected, ${msg.missed} missed events replayed`
        : `${name}: reconnected, the gap could not be replayed; reloaded`;
    $('status').title = text;
    document.body.dataset.recovered = String(msg.recovered);
    document.body.dataset.recoveredMissed = String(msg.missed ?? 0);
    if (msg.supported === false) document.body.dataset.recoverySupported = 'false';
    if (!msg.recovered) onLost?.();
  });
}
trackRecovery('inventory and workflows', client, () => loadInventory());

// ---- operator notifications: push on the notifications channel + paged history ----
const notificationList = $('notifications');
const seenNotifications = new Set();
let notificationsNext = null;

function notificationItem(n, fresh) {
  const status = String(n.status ?? 'pending');
  const steps = n.total_steps ? ` · step ${n.on_step ?? '?'}/${n.total_steps}` : '';
  const when = n.ts_completed || n.ts_started || n.ts_display;
  const li = el('li', { class: fresh ? 'fresh' : '', dataset: { id: String(n.id ?? '') } },
    el('span', { class: 'title' }, n.message ?? n.id ?? 'notification'),
    el('span', { class: `badge ${status}` }, status),
    el('span', { class: 'meta' }, `${n.sub_type ?? n.type ?? 'webhook_tx'} ${n.id ?? ''}${steps}${n.by ? ` · by ${n.by}` : ''}${when ? ` · ${clock(typeof when === 'number' && when < 1e12 ? when * 1000 : when)}` : ''}`));
  return li;
}

function notificationKey(n) {
  return `${n.id}|${n.status}|${n.on_step}|${n.ts_display}|${n.ts_completed}`;
}

function toast(n) {
  const status = String(n.status ?? 'pending');
  const box = el('div', { class: `toast ${status}` },
    el('div', { class: 'title' }, n.message ?? 'notification'),
    el('div', { class: 'meta' }, `${status}${n.total_steps ? ` · step ${n.on_step}/${n.total_steps}` : ''} · ${n.id ?? ''}`));
  $('toasts').append(box);
  while ($('toasts').children.length > 4) $('toasts').firstElementChild.remove();
  setTimeout(() => box.remove(), 6000);
}

async function loadNotifications(before) {
  const url = new URL('/api/notifications', location.origin);
  url.searchParams.set('limit', '20');
  if (before) url.searchParams.set('before', before);
  const headers = adminToken ? { Authorization: `Bearer ${adminToken}` } : {};
  let response;
  try {
    response = await fetch(url, { headers });
  } catch {
    $('notifications-state').textContent = 'notification history unavailable (network)';
    return;
  }
  if (response.status === 404) {
    $('notifications-state').textContent = 'notification history not available on this bridge';
    $('notifications-more').hidden = true;
    return;
  }
  if (!response.ok) {
    $('notifications-state').textContent = `notification history unavailable (${response.status})`;
    return;
  }
  const page = await response.json();
  $('notifications-state').textContent = page.items.length === 0 && !before && notificationList.children.length === 0 ? 'No notifications yet.' : '';
  for (const n of page.items ?? []) {
    const key = notificationKey(n);
    if (seenNotifications.has(key)) continue;
    seenNotifications.add(key);
    notificationList.append(notificationItem(n, false));
  }
  notificationsNext = page.next ?? null;
  $('notifications-more').hidden = !notificationsNext;
}
$('notifications-more').addEventListener('click', () => loadNotifications(notificationsNext));

const notificationChannel = new BridgeClient(`${wsBase}/notifications`, { token: channelToken });
notificationChannel.on('item', (msg) => {
  if (msg.resource !== 'notifications' || !msg.data) return;
  const n = { id: msg.id, ...msg.data };
  const key = notificationKey(n);
  if (seenNotifications.has(key)) return;
  seenNotifications.add(key);
  countEvent();
  $('notifications-state').textContent = '';
  notificationList.prepend(notificationItem(n, true));
  toast(n);
});
notificationChannel.on('error', () => { /* a bridge without the notifications resource refuses the watch: the push still works or never comes */ });
notificationChannel.on('ready', () => {
  // Pushes go to every connection on /notifications; a watch also covers a bridge that only delivers to watchers.
  notificationChannel.watch(undefined, 'notifications');
});
trackRecovery('notifications', notificationChannel, () => loadNotifications());
notificationChannel.connect();
loadNotifications();

// ---- ledger transfer feed: /websocket?token=, subscribe_all_accounts ----
const ledgerList = $('ledger');
function ledgerState(text) { $('ledger-state').textContent = text; }

function transferItem(p) {
  const t = p.resource ?? {};
  const debit = t.debits?.[0];
  const credit = t.credits?.[0];
  const short = (uri) => String(uri ?? '?').split('/').pop();
  const state = String(t.state ?? p.event ?? '');
  return el('li', { class: 'fresh' },
    el('span', { class: 'title' }, `${short(debit?.account)} → ${short(credit?.account)}  ${debit?.amount ?? credit?.amount ?? ''}`),
    el('span', { class: `badge ${state === 'executed' ? 'succeeded' : state === 'rejected' ? 'failed' : 'running'}` }, state || p.event),
    el('span', { class: 'meta' }, `${p.event} · ${short(t.id)} · ${clock()}`));
}

let ledgerAttempt = 0;
async function connectLedger(token) {
  let probe;
  try {
    probe = await fetch('/websocket');
  } catch {
    probe = null;
  }
  if (probe?.status === 404) {
    ledgerState('ledger notifications not available');
    return;
  }
  const socket = new WebSocket(`${wsBase}/websocket?token=${encodeURIComponent(token)}`);
  let connected = false;
  ledgerState('connecting to the ledger…');
  socket.onmessage = (event) => {
    let msg;
    try { msg = JSON.parse(event.data); } catch { return; }
    if (msg.method === 'connect') {
      connected = true;
      ledgerAttempt = 0;
      socket.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'subscribe_all_accounts', params: { eventType: '*' } }));
      return;
    }
    if (msg.id === 1 && msg.error) {
      ledgerState(`ledger refused the subscription: ${msg.error.message}`);
      return;
    }
    if (msg.id === 1) {
      ledgerState(ledgerList.children.length ? '' : 'Subscribed to all accounts. Waiting for transfers…');
      return;
    }
    if (msg.method === 'notify' && msg.params) {
      countEvent();
      ledgerState('');
      ledgerList.prepend(transferItem(msg.params));
      while (ledgerList.children.length > 100) ledgerList.lastElementChild.remove();
    }
  };
  socket.onclose = () => {
    if (!connected) {
      ledgerState('ledger notifications not available');
      return;
    }
    ledgerState('ledger connection lost; reconnecting…');
    const cap = Math.min(10_000, 250 * 2 ** ledgerAttempt++);
    setTimeout(() => connectLedger(token), cap / 2 + Math.random() * cap / 2);
  };
}

// On the embedded default the bridge generated its admin: its own page on loopback gets a token for it.
async function embeddedSession() {
  try {
    const response = await fetch('/api/dashboard/session', { cache: 'no-store' });
    return response.ok ? (await response.json()).token : null;
  } catch {
    return null;
  }
}

function startLedger() {
  if (adminToken) {
    connectLedger(adminToken);
    return;
  }
  ledgerState('Provide an admin token to follow every account\'s transfers.');
  $('ledger-token').hidden = false;
  $('ledger-token').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = $('ledger-token-input').value.trim();
    if (!token) return;
    sessionStorage.setItem('bridge.adminToken', token);
    $('ledger-token').hidden = true;
    connectLedger(token);
  });
}
(adminToken ? Promise.resolve(null) : embeddedSession()).then((sessionToken) => {
  if (sessionToken) adminToken = sessionToken;
  startLedger();
});

// ---- operations strip: the bridge's own meters, as JSON from /api/operations (the same figures /metrics exports) ----
async function refreshOperations() {
  const headers = adminToken ? { Authorization: `Bearer ${adminToken}` } : {};
  let ops;
  try {
    const response = await fetch('/api/operations', { headers });
    if (!response.ok) {
      $('ops').dataset.state = `unavailable (${response.status})`;
      return;
    }
    ops = await response.json();
  } catch {
    $('ops').dataset.state = 'unavailable (network)';
    return;
  }
  $('ops').dataset.state = 'live';
  const connections = Object.values(ops.connections ?? {}).reduce((a, b) => a + b, 0);
  $('ops-connections').textContent = connections.toLocaleString();
  $('ops-rate').textContent = Math.round(ops.deliveriesPerSecond ?? 0).toLocaleString();
  $('ops-p99').textContent = `${(ops.deliveryLatencyP99Milliseconds ?? 0).toFixed(2)} ms`;
  $('ops-slow').textContent = (ops.slowConsumerDisconnects ?? 0).toLocaleString();
  $('ops-webhooks').textContent = (ops.webhookFailures ?? 0).toLocaleString();
  for (const name of ['broker', 'store']) {
    const dep = ops[name] ?? {};
    $(`ops-${name}`).textContent = dep.ready ? 'ready' : 'down';
    $(`ops-${name}-tile`).dataset.ready = String(!!dep.ready);
    $(`ops-${name}-tile`).title = dep.description ?? '';
  }
}
refreshOperations();
setInterval(refreshOperations, 2000);

showStatus('connecting');
client.connect();
setInterval(() => { if (activeTab !== 'skus') queueRender(); }, 15_000); // keeps "updated … ago" honest
