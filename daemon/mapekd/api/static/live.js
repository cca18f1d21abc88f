// The live page: polls the daemon's API with the tab's token and redraws in place. Every value
// from the API goes into the page as text (textContent), never as HTML.
"use strict";

const POLL_MS = 2000;
const MAX_TIMELINES = 20;
const TOKEN_KEY = "mapekd-token";
const $ = (id) => document.getElementById(id);
let timer = null;

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

async function api(path, options = {}) {
  const headers = { authorization: `Bearer ${token()}`, ...(options.headers || {}) };
  const response = await fetch(path, { ...options, headers, cache: "no-store" });
  let body = null;
  try {
    body = await response.json();
  } catch (_) {
    body = null;
  }
  if (response.status === 401) {
    throw Object.assign(new Error("the token was refused"), { unauthorized: true });
  }
  if (!response.ok) {
    const message = body && body.error ? body.error.message : `HTTP ${response.status}`;
    throw Object.assign(new Error(message), { status: response.status });
  }
  return body;
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const cell of cells) {
    const td = document.createElement("td");
    if (cell instanceof Node) td.append(cell);
    else td.textContent = cell === null || cell === undefined ? "-" : String(cell);
    tr.append(td);
  }
  return tr;
}

function when(ts) {
  return ts ? new Date(ts * 1000).toLocaleString() : "-";
}

function ago(seconds) {
  if (seconds === null || seconds === undefined) return "-";
  return seconds < 120 ? `${seconds.toFixed(1)}s ago` : `${(seconds / 60).toFixed(1)}m ago`;
}

function drawLoop(loop) {
  if (!loop || !loop.running) {
    $("loop").textContent = "no healing loop here (gateway mode)";
    return;
  }
  $("loop").textContent = `last cycle ${ago(loop.last_cycle_age_s)}, every ${loop.interval_s}s`;
}

function drawChecks(checks) {
  const body = $("checks").tBodies[0];
  body.replaceChildren(
    ...(checks || []).map((c) => {
      const state = c.targets ? (c.ok ? "ok" : "failing") : "unknown";
      const tr = row([c.name, c.type, el("span", state, `state ${state}`), c.targets, c.failing.join(", "), when(c.last_sample_at)]);
      tr.dataset.check = c.name;
      return tr;
    }),
  );
}

function drawApprovals(approvals) {
  $("approvals-count").textContent = `(${approvals.length})`;
  const body = $("approvals").tBodies[0];
  if (!approvals.length) {
    const none = el("td", "none waiting", "muted");
    none.colSpan = 9;
    body.replaceChildren(el("tr"));
    body.rows[0].append(none);
    return;
  }
  body.replaceChildren(
    ...approvals.map((a) => {
      const buttons = el("span");
      for (const [label, decision] of [["Approve", "approve"], ["Deny", "deny"]]) {
        const button = el("button", label, decision);
        button.type = "button";
        button.dataset.approval = a.id;
        button.dataset.decision = decision;
        button.addEventListener("click", () => decide(a.id, decision, button));
        buttons.append(button);
      }
      const tr = row([a.id, a.incident_id, a.signature, a.action, a.target, a.source, a.reason, when(a.expires_at), buttons]);
      tr.dataset.approval = a.id;
      return tr;
    }),
  );
}

function timelineLine(event) {
  const what = {
    symptom: () => `${event.severity} ${event.message}`,
    analysis: () => `${event.state}${event.grounded === 0 ? " (ungrounded, not verified)" : ""}: ${event.summary || event.error || ""}`,
    decision: () => {
      const proposal = event.proposal ? ` (LLM proposed ${event.proposal.action})` : "";
      return `${event.verdict} ${event.action || "-"} by ${event.source}${proposal}: ${event.reason}`;
    },
    approval: () => `${event.state} ${event.action}${event.decided_by ? " by " + event.decided_by : ""}`,
    execution: () => `${event.state} ${event.action} (${event.purpose})`,
    outcome: () => `${event.result}: ${event.detail}`,
  }[event.kind];
  const li = el("li");
  li.append(el("time", when(event.ts)), el("b", event.kind), el("span", what ? what() : ""));
  return li;
}

async function drawIncidents(incidents) {
  $("incidents-count").textContent = `(${incidents.length})`;
  const shown = incidents.slice(0, MAX_TIMELINES);
  const details = await Promise.all(shown.map((i) => api(`/api/v1/incidents/${i.id}`)));
  const open = new Set([...document.querySelectorAll("#incidents details[open]")].map((d) => d.dataset.incident));
  if (!details.length) {
    $("incidents").replaceChildren(el("p", "none: every check is fine or healing is done", "muted"));
    return;
  }
  $("incidents").replaceChildren(
    ...details.map((incident) => {
      const box = el("details");
      box.dataset.incident = String(incident.id);
      box.open = open.has(String(incident.id)) || incident.timeline.length <= 6;
      const summary = el("summary");
      summary.append(el("span", incident.status, `status ${incident.status}`), el("b", ` #${incident.id} ${incident.signature}`), el("span", ` opened ${when(incident.opened_at)}`, "muted"));
      const list = el("ol", null, "timeline");
      list.append(...incident.timeline.map(timelineLine));
      box.append(summary, list);
      return box;
    }),
  );
}

function fill(id, items, cells) {
  $(id).tBodies[0].replaceChildren(...items.map((item) => row(cells(item))));
}

// The fleet section shows only on a host in a fleet (knowledge.fleet): elsewhere the API answers
// 404, and the page stops asking.
let inFleet = true;

async function drawFleet() {
  if (!inFleet) return;
  let fleet;
  try {
    fleet = await api("/api/v1/fleet");
  } catch (error) {
    if (error.status === 404) {
      inFleet = false;
      $("fleet").hidden = true;
      return;
    }
    throw error;
  }
  $("fleet").hidden = false;
  $("fleet-outbox").textContent = `this host (${fleet.outbox.host_id}): ${fleet.outbox.verdict}`;
  $("fleet-error").textContent = fleet.error ? `fleet unavailable: ${fleet.error}` : "";
  $("fleet-error").hidden = !fleet.error;
  fill("fleet-hosts", fleet.hosts || [], (h) => [h.host_id, ago(h.last_seen_age_s), `${Number(h.lag_s).toFixed(1)}s`, h.pending, h.dropped]);
  fill("fleet-quarantined", fleet.quarantined || [], (q) => [q.action, q.target, q.hosts]);
  fill("fleet-record", fleet.record || [], (r) => [r.signature, r.action, r.hosts, r.successes, r.tries]);
}

async function refresh() {
  try {
    const [status, approvals] = await Promise.all([api("/api/v1/status"), api("/api/v1/approvals")]);
    drawLoop(status.loop);
    drawChecks(status.loop && status.loop.checks);
    drawApprovals(approvals.approvals);
    await drawIncidents(status.open_incidents || []);
    await drawFleet();
    $("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
    $("error").hidden = true;
  } catch (error) {
    if (error.unauthorized) return logout("The token was refused.");
    $("error").textContent = `cannot refresh: ${error.message}`;
    $("error").hidden = false;
  }
}

async function decide(id, decision, button) {
  button.disabled = true;
  try {
    const result = await api(`/api/v1/approvals/${id}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ decision }),
    });
    $("decision").textContent = `approval ${result.id}: ${result.state} by ${result.by}`;
  } catch (error) {
    if (error.unauthorized) return logout("The token was refused.");
    $("decision").textContent = `approval ${id}: ${error.message}`;
    button.disabled = false;
  }
  await refresh();
}

function start() {
  $("login").hidden = true;
  $("live").hidden = false;
  $("forget").hidden = false;
  refresh();
  timer = setInterval(refresh, POLL_MS);
}

function logout(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  clearInterval(timer);
  $("live").hidden = true;
  $("forget").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  $("loop").textContent = "not connected";
}

document.addEventListener("DOMContentLoaded", () => {
  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    $("token").value = "";
    start();
  });
  $("forget").addEventListener("click", () => logout(""));
  if (token()) start();
  else logout("");
});
