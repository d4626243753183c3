// The live statistics page: polls GET /v1/datasets and each dataset's
// /v1/datasets/{name}/stats, and draws what the published query revealed.
// Plain DOM, no framework; every value goes in with textContent.
"use strict";

const POLL_MS = 5000;
const SVG = "http://www.w3.org/2000/svg";
const fmtCache = {};

// Statistics shown as tiles when the query outputs them, in this order.
const TILES = [
  ["providers", "Providers"],
  ["mean", "Mean"],
  ["median", "Median"],
  ["max", "Max"],
  ["min", "Min"],
];
const SHOWN = new Set(["providers", "mean", "median", "max", "min", "gini"]);

function fmt(x) {
  if (typeof x !== "number" || !isFinite(x)) return String(x);
  const a = Math.abs(x);
  let opts;
  if (Number.isInteger(x)) opts = { maximumFractionDigits: 0 };
  else if (a >= 1000) opts = { maximumFractionDigits: 0 };
  else if (a >= 1) opts = { maximumFractionDigits: 2 };
  else opts = { maximumSignificantDigits: 3 };
  const key = JSON.stringify(opts);
  fmtCache[key] = fmtCache[key] || new Intl.NumberFormat("en-US", opts);
  return fmtCache[key].format(x);
}

function el(tag, attrs, text) {
  const e = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function ago(date) {
  const s = Math.max(0, Math.round((Date.now() - date.getTime()) / 1000));
  if (s < 60) return s + " s ago";
  if (s < 3600) return Math.round(s / 60) + " min ago";
  if (s < 86400) return Math.round(s / 3600) + " h ago";
  return Math.round(s / 86400) + " days ago";
}

async function getJSON(path) {
  const r = await fetch(path, { headers: { Accept: "application/json" }, cache: "no-store" });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error || r.status + " " + r.statusText);
  return body;
}

// The gauge: a half circle, filled up to the Gini coefficient.
function drawGauge(card, gini) {
  const fig = card.querySelector(".gauge");
  if (typeof gini !== "number") { fig.hidden = true; return; }
  fig.hidden = false;
  const g = Math.min(1, Math.max(0, gini));
  const ang = Math.PI * (1 - g);
  const x = 100 + 80 * Math.cos(ang), y = 100 - 80 * Math.sin(ang);
  const fill = fig.querySelector(".fill");
  fill.setAttribute("d", g > 0 ? `M 20 100 A 80 80 0 0 1 ${x.toFixed(2)} ${y.toFixed(2)}` : "");
  // green (equal) through amber to red (concentrated)
  const hue = Math.round(150 * (1 - g));
  fill.setAttribute("stroke", `hsl(${hue}, 62%, 45%)`);
  const knob = fig.querySelector(".knob");
  knob.setAttribute("cx", x.toFixed(2));
  knob.setAttribute("cy", y.toFixed(2));
  fig.querySelector(".gauge-value").textContent = gini.toFixed(3);
  fig.querySelector("svg").setAttribute("aria-label", "Gini coefficient " + gini.toFixed(3));
  fig.dataset.value = gini.toFixed(3);
}

function drawTiles(card, outputs, st) {
  const dl = card.querySelector(".tiles");
  dl.replaceChildren();
  const add = (key, label, value, title) => {
    const d = el("div", { class: "tile", "data-stat": key });
    d.append(el("dt", {}, label), el("dd", { class: "value", title: title || "" }, value));
    dl.append(d);
  };
  for (const [key, label] of TILES) {
    if (key === "providers") {
      // The live count of admitted providers; the result may cover fewer.
      const n = typeof outputs.providers === "number" ? outputs.providers : st.rows;
      add("providers", label, fmt(st.providers),
        st.providers !== n ? `${fmt(n)} included in these statistics` : "all included in these statistics");
      continue;
    }
    if (typeof outputs[key] === "number") add(key, label, fmt(outputs[key]));
  }
}

// The number line: where median, mean, min and max sit on one scale. It
// draws only the revealed numbers; no distribution is invented.
function drawNumberLine(card, o) {
  const fig = card.querySelector(".numberline");
  const marks = [["min", "min"], ["median", "median"], ["mean", "mean"], ["max", "max"]]
    .filter(([k]) => typeof o[k] === "number");
  if (marks.length < 2) { fig.hidden = true; return; }
  fig.hidden = false;
  const svg = fig.querySelector("svg");
  svg.replaceChildren();
  const vals = marks.map(([k]) => o[k]);
  const lo = Math.min(0, ...vals), hi = Math.max(...vals);
  const span = hi - lo || 1;
  const X = (v) => 40 + 750 * (v - lo) / span;
  svg.append(el("svg:line", { class: "axis", x1: 40, y1: 50, x2: 790, y2: 50 }));
  svg.append(el("svg:line", { class: "range", x1: X(vals.length ? Math.min(...vals) : lo), y1: 50, x2: X(hi), y2: 50 }));
  // The scale starts at zero (or the lowest value); the highest value is a mark.
  if (!vals.includes(lo)) svg.append(el("svg:text", { class: "tick", x: X(lo) - 12, y: 55, "text-anchor": "end" }, fmt(lo)));
  // Labels alternate above and below the line so near values stay legible.
  marks.sort((a, b) => o[a[0]] - o[b[0]]);
  marks.forEach(([k, label], i) => {
    const x = X(o[k]);
    svg.append(el("svg:circle", { class: "mark " + k, cx: x.toFixed(2), cy: 50, r: 7 }));
    const above = i % 2 === 0;
    const t = el("svg:text", { x: x.toFixed(2), y: above ? 32 : 78, "text-anchor": x < 100 ? "start" : x > 730 ? "end" : "middle", "data-mark": k },
      `${label} ${fmt(o[k])}`);
    svg.append(t);
  });
  svg.setAttribute("aria-label", marks.map(([k]) => `${k} ${fmt(o[k])}`).join(", "));
  let cap = "Where the revealed statistics sit on one scale.";
  if (typeof o.mean === "number" && typeof o.median === "number" && o.median > 0) {
    const r = o.mean / o.median;
    if (r >= 1.5) cap += ` The mean is ${r.toFixed(1)}× the median: a few large values pull it up.`;
    else if (r <= 0.67) cap += ` The mean is well below the median: a few small values pull it down.`;
    else cap += " Mean and median are close: the values are fairly balanced.";
  }
  fig.querySelector("figcaption").textContent = cap;
}

// Vector outputs (a histogram, say) are drawn as bar charts.
function drawVectors(card, o) {
  const box = card.querySelector(".histograms");
  box.replaceChildren();
  for (const [name, v] of Object.entries(o)) {
    if (!Array.isArray(v) || v.length === 0 || v.length > 200 || !v.every((x) => typeof x === "number")) continue;
    const fig = el("figure", { class: "plot histogram", "data-output": name });
    const svg = el("svg:svg", { viewBox: "0 -14 420 144", role: "img", "aria-label": `${name}: ${v.map(fmt).join(", ")}` });
    const hi = Math.max(...v, 0), lo = Math.min(...v, 0), span = hi - lo || 1;
    const w = 380 / v.length;
    const Y = (x) => 110 - 100 * (x - lo) / span;
    v.forEach((x, i) => {
      const y0 = Y(0), y1 = Y(x);
      const r = el("svg:rect", { class: "barrect", x: (20 + i * w + w * 0.1).toFixed(2), y: Math.min(y0, y1).toFixed(2),
        width: (w * 0.8).toFixed(2), height: Math.max(1, Math.abs(y1 - y0)).toFixed(2) });
      r.append(el("svg:title", {}, `${name}[${i}] = ${fmt(x)}`));
      svg.append(r);
      if (v.length <= 24) {
        const cx = (20 + i * w + w / 2).toFixed(2);
        svg.append(el("svg:text", { class: "tick", x: cx, y: 125, "text-anchor": "middle" }, String(i)));
        // Each bar says its value, so a marker such as -1 reads as what it is.
        svg.append(el("svg:text", { x: cx, y: ((x >= 0 ? y1 : y0) - 3).toFixed(2), "text-anchor": "middle" }, fmt(x)));
      }
    });
    svg.append(el("svg:line", { class: "axis", x1: 20, y1: Y(0), x2: 400, y2: Y(0) }));
    fig.append(svg, el("figcaption", {}, `${name} (${v.length} values, as the query revealed them)`));
    box.append(fig);
  }
}

function drawOthers(card, o) {
  const table = card.querySelector(".others");
  const body = table.querySelector("tbody");
  body.replaceChildren();
  for (const [k, v] of Object.entries(o)) {
    if (SHOWN.has(k) || Array.isArray(v)) continue;
    const tr = el("tr", { "data-output": k });
    tr.append(el("td", {}, k), el("td", {}, typeof v === "number" ? fmt(v) : JSON.stringify(v)));
    body.append(tr);
  }
  table.hidden = body.children.length === 0;
}

function render(card, st) {
  card.dataset.status = st.status;
  const badge = card.querySelector(".badge");
  badge.className = "badge status-" + st.status;
  badge.textContent = { ready: "live", waiting: "waiting", unpublished: "no published query" }[st.status] || st.status;
  const waiting = card.querySelector(".waiting-note");
  const progress = card.querySelector(".progress");
  const o = st.outputs || {};
  const has = st.status === "ready" && st.outputs;
  if (!has) {
    waiting.hidden = false;
    if (st.status === "unpublished") {
      waiting.textContent = `${fmt(st.providers)} providers. No statistics are published for this dataset.`;
      progress.hidden = true;
    } else if (st.providers < st.min_rows) {
      waiting.textContent = `${fmt(st.providers)} of the ${fmt(st.min_rows)} providers needed before any statistic is released` +
        (st.pending ? ` (${fmt(st.pending)} more being checked).` : ".");
      progress.hidden = false;
      progress.querySelector(".bar").style.width = Math.min(100, 100 * st.providers / st.min_rows).toFixed(1) + "%";
    } else {
      waiting.textContent = `${fmt(st.providers)} providers. The first statistics are being computed…`;
      progress.hidden = true;
    }
  } else {
    waiting.hidden = true;
    progress.hidden = true;
  }
  card.querySelector(".body").hidden = !has;
  drawGauge(card, has ? o.gini : undefined);
  if (has) drawTiles(card, o, st); else card.querySelector(".tiles").replaceChildren();
  if (has) drawNumberLine(card, o); else card.querySelector(".numberline").hidden = true;
  if (has) drawVectors(card, o); else card.querySelector(".histograms").replaceChildren();
  if (has) drawOthers(card, o); else card.querySelector(".others").hidden = true;
  const meta = card.querySelector(".meta");
  meta.replaceChildren();
  if (has && st.updated_at) {
    const d = new Date(st.updated_at);
    const t = el("time", { datetime: st.updated_at, title: d.toString(), class: "updated" }, ago(d));
    meta.append("Updated ", t, ` over ${fmt(st.rows)} rows` + (st.pending ? ` · ${fmt(st.pending)} new contributions being checked` : ""));
  }
}

const cards = new Map();

async function refresh() {
  const main = document.getElementById("datasets");
  try {
    const list = await getJSON("/v1/datasets");
    document.getElementById("loading")?.remove();
    if (list.length === 0 && cards.size === 0) {
      main.replaceChildren(el("p", { class: "note", id: "loading" }, "No datasets yet."));
      return;
    }
    for (const d of list) {
      let card = cards.get(d.name);
      if (!card) {
        card = document.getElementById("card-template").content.firstElementChild.cloneNode(true);
        card.dataset.dataset = d.name;
        card.querySelector(".name").textContent = d.name;
        const note = card.querySelector(".waiting-note");
        note.hidden = false;
        note.textContent = "Loading…";
        cards.set(d.name, card);
        main.append(card);
      }
      try {
        render(card, await getJSON("/v1/datasets/" + encodeURIComponent(d.name) + "/stats"));
      } catch (e) {
        card.querySelector(".meta").replaceChildren(el("span", { class: "error" }, "Could not load: " + e.message));
      }
    }
    document.getElementById("refreshed").textContent = "Refreshed " + new Date().toLocaleTimeString("en-US");
    document.body.dataset.loaded = "true";
  } catch (e) {
    document.getElementById("refreshed").replaceChildren(el("span", { class: "error" }, "Could not reach the coordinator: " + e.message));
  }
}

refresh();
setInterval(refresh, POLL_MS);
