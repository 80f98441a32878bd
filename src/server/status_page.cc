#include "server/status_page.h"

namespace vimur::server {
namespace {

// Elements the tests read carry data-kind / data-name / data-field attributes.
constexpr std::string_view kPage = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Vimur status</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1d2330; background: #f6f7f9; }
  h1 { font-size: 1.4em; margin: 0 0 .2em; }
  h2 { font-size: 1.1em; margin: 1.4em 0 .4em; }
  #meta { color: #5b6475; }
  table { border-collapse: collapse; background: #fff; min-width: 40em; }
  th, td { padding: .35em .8em; border-bottom: 1px solid #e3e6eb; text-align: left; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .up { color: #137333; font-weight: 600; }
  .down { color: #b3261e; font-weight: 600; }
  .bar { width: 12em; height: .8em; background: #e3e6eb; border-radius: .4em; overflow: hidden; }
  .bar > div { height: 100%; background: #3b6fd8; }
  .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(26em, 1fr)); gap: 1em; }
  figure { margin: 0; background: #fff; padding: .6em .8em; border: 1px solid #e3e6eb; }
  figcaption { color: #5b6475; margin-bottom: .3em; }
  svg { width: 100%; height: 120px; }
  .empty { color: #5b6475; }
  #error { color: #b3261e; }
</style>
</head>
<body>
<h1>Vimur</h1>
<div id="meta">loading…</div>
<div id="error"></div>
<h2>Sources</h2>
<table><thead><tr><th>Source</th><th>State</th><th>Events</th><th>Lag (ms)</th>
<th>Retained (bytes)</th><th>Position</th></tr></thead><tbody id="sources"></tbody></table>
<h2>Sinks</h2>
<table><thead><tr><th>Sink</th><th>State</th><th>Records</th><th>Lag (ms)</th><th>Retries</th>
<th>Dead-lettered</th></tr></thead><tbody id="sinks"></tbody></table>
<h2>Snapshots</h2>
<table><thead><tr><th>Source</th><th>Table</th><th>Rows</th><th>Estimate</th><th>Progress</th>
<th>State</th></tr></thead><tbody id="snapshots"></tbody></table>
<h2>Last hour</h2>
<div class="charts" id="charts"></div>
<script>
"use strict";
const REFRESH_MS = 5000;

// Prometheus text format 0.0.4 -> [{name, labels, value}].
function parseMetrics(text) {
  const out = [];
  for (const line of text.split("\n")) {
    if (!line || line[0] === "#") continue;
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/);
    if (!m) continue;
    const labels = {};
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    let l;
    while ((l = re.exec(m[3] || "")) !== null) {
      labels[l[1]] = l[2].replace(/\\n/g, "\n").replace(/\\"/g, "\"").replace(/\\\\/g, "\\");
    }
    out.push({name: m[1], labels: labels, value: Number(m[4])});
  }
  return out;
}

function byOwner(samples, kind) {
  const owners = {};
  for (const s of samples) {
    const who = s.labels[kind];
    if (who === undefined || !s.name.startsWith("vimur_")) continue;
    const o = owners[who] || (owners[who] = {});
    o[s.name] = s;
  }
  return owners;
}

function cell(row, text, field, numeric) {
  const td = document.createElement("td");
  td.textContent = text;
  if (field) td.dataset.field = field;
  if (numeric) td.className = "num";
  row.appendChild(td);
  return td;
}

function value(o, name) { return o[name] ? o[name].value : 0; }

function fill(id, owners, kind, columns) {
  const body = document.getElementById(id);
  body.replaceChildren();
  const names = Object.keys(owners).sort();
  if (names.length === 0) {
    const tr = body.insertRow();
    const td = cell(tr, "none in this process", null, false);
    td.colSpan = 6;
    td.className = "empty";
  }
  for (const name of names) {
    const o = owners[name];
    const tr = body.insertRow();
    tr.dataset.kind = kind;
    tr.dataset.name = name;
    cell(tr, name, "name", false);
    const up = value(o, "vimur_" + kind + "_up") >= 1;
    const state = cell(tr, up ? "running" : "down", "state", false);
    state.className = up ? "up" : "down";
    for (const [metric, field] of columns) {
      if (metric === "position") {
        const p = o["vimur_source_position_info"];
        cell(tr, p ? p.labels.position : "", field, false);
      } else {
        cell(tr, String(value(o, metric)), field, true);
      }
    }
  }
}

function fillSnapshots(samples) {
  const tables = {};
  for (const s of samples) {
    if (!s.name.startsWith("vimur_snapshot_")) continue;
    const key = s.labels.source + "\u0000" + s.labels.table;
    const t = tables[key] || (tables[key] = {source: s.labels.source, table: s.labels.table});
    t[s.name.substring("vimur_snapshot_".length)] = s.value;
  }
  const body = document.getElementById("snapshots");
  body.replaceChildren();
  const keys = Object.keys(tables).sort();
  if (keys.length === 0) {
    const td = cell(body.insertRow(), "no snapshot has run in this process", null, false);
    td.colSpan = 6;
    td.className = "empty";
  }
  for (const key of keys) {
    const t = tables[key];
    const tr = body.insertRow();
    tr.dataset.kind = "snapshot";
    tr.dataset.name = t.source + "/" + t.table;
    cell(tr, t.source, "source", false);
    cell(tr, t.table, "table", false);
    cell(tr, String(t.rows_total || 0), "rows", true);
    cell(tr, String(t.rows_estimate || 0), "estimate", true);
    const done = t.rows_total || 0, left = t.rows_remaining || 0;
    const share = done + left > 0 ? done / (done + left) : 1;
    const bar = document.createElement("div");
    bar.className = "bar";
    const inner = document.createElement("div");
    inner.style.width = Math.round(share * 100) + "%";
    bar.appendChild(inner);
    cell(tr, "", "progress", false).appendChild(bar);
    cell(tr, t.running >= 1 ? "running" : "done", "state", false);
  }
}

// One chart: the series' rate (counters) or value (gauges) over the samples.
function chart(title, points, unit) {
  const fig = document.createElement("figure");
  fig.dataset.chart = title;
  const cap = document.createElement("figcaption");
  const last = points.length ? points[points.length - 1][1] : 0;
  cap.textContent = title + " — now " + formatNumber(last) + " " + unit;
  fig.appendChild(cap);
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 400 120");
  svg.setAttribute("preserveAspectRatio", "none");
  if (points.length >= 2) {
    const t0 = points[0][0], t1 = points[points.length - 1][0];
    const top = Math.max(1, ...points.map(p => p[1]));
    const xy = points.map(p => [(p[0] - t0) / Math.max(1, t1 - t0) * 400,
                                115 - p[1] / top * 105]);
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", xy.map(p => p[0].toFixed(1) + "," + p[1].toFixed(1)).join(" "));
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", "#3b6fd8");
    line.setAttribute("stroke-width", "2");
    svg.appendChild(line);
    const label = document.createElementNS(ns, "text");
    label.setAttribute("x", "4");
    label.setAttribute("y", "12");
    label.setAttribute("font-size", "11");
    label.setAttribute("fill", "#5b6475");
    label.textContent = "max " + formatNumber(top);
    svg.appendChild(label);
  }
  fig.appendChild(svg);
  return fig;
}

function formatNumber(v) {
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString("en") : (+v.toFixed(2)).toString();
}

function drawCharts(history) {
  const samples = history.samples || [];
  const names = new Set();
  for (const s of samples) for (const n of Object.keys(s.series)) names.add(n);
  const box = document.getElementById("charts");
  box.replaceChildren();
  const counter = n => /\/(events|records|cpu_seconds)$/.test(n);
  for (const name of [...names].sort()) {
    const points = [];
    for (let i = 0; i < samples.length; i++) {
      const v = samples[i].series[name];
      if (v === undefined) continue;
      if (!counter(name)) { points.push([samples[i].t, v]); continue; }
      const prev = i > 0 ? samples[i - 1].series[name] : undefined;
      const dt = i > 0 ? samples[i].t - samples[i - 1].t : 0;
      if (prev !== undefined && dt > 0) points.push([samples[i].t, Math.max(0, (v - prev) / dt)]);
    }
    const unit = counter(name) ? (name.endsWith("cpu_seconds") ? "CPU s/s" : "per s")
               : name.endsWith("lag_ms") ? "ms" : "bytes";
    box.appendChild(chart(name, points, unit));
  }
  if (names.size === 0) box.textContent = "no samples yet";
}

async function refresh() {
  try {
    const [metricsText, history] = await Promise.all([
      fetch("/metrics").then(r => { if (!r.ok) throw new Error("/metrics: HTTP " + r.status);
                                    return r.text(); }),
      fetch("/history.json").then(r => r.json())]);
    const samples = parseMetrics(metricsText);
    const info = samples.find(s => s.name === "vimur_build_info");
    document.getElementById("meta").textContent =
        "version " + (info ? info.labels.version : "?") + " · updated " +
        new Date().toLocaleTimeString("en-GB") + " · every " + REFRESH_MS / 1000 + " s";
    document.getElementById("meta").dataset.updated = "yes";
    fill("sources", byOwner(samples, "source"), "source",
         [["vimur_source_events_total", "events"], ["vimur_source_lag_ms", "lag_ms"],
          ["vimur_source_retained_bytes", "retained_bytes"], ["position", "position"]]);
    fill("sinks", byOwner(samples, "sink"), "sink",
         [["vimur_sink_records_total", "records"], ["vimur_sink_lag_ms", "lag_ms"],
          ["vimur_sink_retries_total", "retries"],
          ["vimur_sink_dead_lettered_total", "dead_lettered"]]);
    fillSnapshots(samples);
    drawCharts(history);
    document.getElementById("error").textContent = "";
  } catch (e) {
    document.getElementById("error").textContent = "cannot read the pipeline: " + e.message;
  }
}

refresh();
setInterval(refresh, REFRESH_MS);
</script>
</body>
</html>
)html";

}  // namespace

std::string_view StatusPageHtml() { return kPage; }

}  // namespace vimur::server
