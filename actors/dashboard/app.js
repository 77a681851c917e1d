// The dxhub dashboard's page: one WebSocket to the dashboard (the token
// comes from the page's URL, or the cookie the dashboard set), overview
// tables redrawn on every overview message, live image and waveform views
// drawn from binary frame messages, an event list and a command form per
// service. Plain JavaScript, no build step.
"use strict";

const dxhub = {
  pageId: Math.random().toString(36).slice(2),
  ws: null,
  readOnly: false,
  overview: null,
  frames: { image: { count: 0 }, waveform: { count: 0 } },
  replies: [],
  errors: [],
  events: [],
  nextId: 1,
};
window.dxhub = dxhub;

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get("token") || "";
const maxEvents = 300;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c instanceof Node ? c : String(c));
  return e;
}

function fmt(x, digits) {
  return typeof x === "number" ? x.toFixed(digits) : String(x);
}

function duration(s) {
  if (s < 0) return "";
  if (s < 120) return s.toFixed(0) + " s";
  if (s < 7200) return (s / 60).toFixed(0) + " min";
  return (s / 3600).toFixed(1) + " h";
}

// -- the WebSocket -------------------------------------------------------------

function connect() {
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws" +
    (token ? "?token=" + encodeURIComponent(token) : "");
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  dxhub.ws = ws;
  ws.onopen = () => {
    $("conn").textContent = "live";
    $("conn").className = "up";
    sendWatch();
  };
  ws.onclose = (e) => {
    $("conn").textContent = "disconnected (" + e.code + (e.reason ? " " + e.reason : "") + "), retrying";
    $("conn").className = "down";
    setTimeout(connect, 1000);
  };
  ws.onmessage = (m) => {
    if (typeof m.data === "string") onText(JSON.parse(m.data));
    else onFrame(m.data);
  };
}

function send(obj) {
  if (dxhub.ws && dxhub.ws.readyState === WebSocket.OPEN) dxhub.ws.send(JSON.stringify(obj));
}

function sendWatch() {
  const views = [];
  const img = $("image-channel").value;
  const wav = $("waveform-channel").value;
  if (img) views.push({ channel: img, kind: "image" });
  if (wav) views.push({ channel: wav, kind: "waveform" });
  send({ type: "watch", views });
}

function onText(msg) {
  switch (msg.type) {
    case "hello":
      dxhub.readOnly = msg.read_only;
      $("who").textContent = "as " + msg.caller + (msg.read_only ? " (read-only)" : "");
      break;
    case "overview":
      dxhub.overview = msg;
      renderOverview(msg);
      break;
    case "events":
      for (const e of msg.events) addEvent(e);
      break;
    case "event":
      addEvent(msg.event);
      break;
    case "reply":
      onReply(msg);
      break;
    case "view_error":
      $(msg.kind + "-info").textContent = msg.channel + ": " + msg.error;
      dxhub.errors.push(msg);
      break;
    case "channel_status":
      for (const kind of ["image", "waveform"])
        if ($(kind + "-channel").value === msg.channel)
          $(kind + "-info").dataset.status = msg.state;
      break;
    case "error":
      dxhub.errors.push(msg);
      console.warn("dashboard:", msg.error);
      break;
  }
}

// -- overview ----------------------------------------------------------------------

function renderOverview(o) {
  $("registry-error").textContent = o.registry_error ? "registry: " + o.registry_error : "";
  const nodes = $("nodes").tBodies[0];
  nodes.replaceChildren(...o.nodes.map((n) =>
    el("tr", { "data-node": n.name, "data-status": n.status, "data-pid": n.pid, "data-restarts": n.restarts },
      el("td", {}, n.name),
      el("td", { class: n.status === "up" ? "up" : "down" }, n.status),
      el("td", { class: "num" }, n.pid),
      el("td", {}, n.this_host ? "this host" : n.host),
      el("td", { class: "num" }, duration(n.uptime_s)),
      el("td", { class: "num" }, n.restarts),
      el("td", { class: "num" }, duration(n.since_s) + " ago"))));

  const channels = $("channels").tBodies[0];
  channels.replaceChildren(...o.channels.map((c) => {
    const fields = (c.fields || []).map((f) => f.name + " " + f.dtype + "[" + f.shape.join(",") + "]").join(", ");
    const subs = el("td", {}, ...(c.subscribers || []).map((s) =>
      el("div", { class: "sub" + (s.dashboard ? " mine" : "") },
        s.pid + " " + s.policy + " " + s.queued + "/" + s.queue_depth + " " + s.held + " " +
        s.delivered + " " + s.dropped + (s.alive ? "" : " (gone)") + (s.dashboard ? " (this dashboard)" : ""))));
    return el("tr", { "data-channel": c.channel, "data-session": c.session, "data-alive": c.publisher_alive },
      el("td", {}, c.channel),
      el("td", {}, c.error ? c.error : fields),
      el("td", { class: c.publisher_alive ? "up" : "down" },
        c.error ? "" : c.publisher_pid + (c.publisher_alive ? " alive" : " gone")),
      el("td", { class: "num" }, c.session === undefined ? "" : c.session + " (" + c.sessions + ")"),
      el("td", { class: "num" }, c.sequence === undefined ? "" : c.sequence),
      el("td", { class: "num" }, fmt(c.rate_hz, 1)),
      el("td", { class: "num" }, fmt(c.mb_per_s, 2)),
      el("td", { class: "num" }, c.chunks_used === undefined ? "" : c.chunks_used + "/" + c.chunk_count),
      subs);
  }));

  updateChannelChoice("image-channel", o.channels, (f) => f.shape.length === 2 && !["bool", "complex64", "complex128", "f16", "bf16"].includes(f.dtype));
  updateChannelChoice("waveform-channel", o.channels, (f) => (f.shape.length === 1 || f.shape.length === 2) && (f.dtype === "f32" || f.dtype === "f64"));
  renderServices(o.services);
}

// The channels a view can show, the likeliest first (integer pictures
// before float ones, then the most elements: the camera's image before the
// ADC's samples, the ADC's samples before the camera's stamps); the choice
// stays unless its channel goes.
function updateChannelChoice(id, channels, fits) {
  const select = $(id);
  const score = (c) => {
    const f = (c.fields || []).find(fits);
    const elements = f.shape.reduce((a, b) => a * b, 1);
    return (id === "image-channel" && !f.dtype.startsWith("f") ? 1e12 : 0) + elements;
  };
  const names = channels.filter((c) => (c.fields || []).some(fits))
    .sort((a, b) => score(b) - score(a)).map((c) => c.channel);
  const current = select.value;
  const shown = Array.from(select.options).map((o) => o.value);
  if (names.join("|") !== shown.join("|")) {
    select.replaceChildren(...names.map((n) => el("option", { value: n }, n)));
    if (names.includes(current)) select.value = current;
  }
  if (select.value !== current) sendWatch();
}

// Argument templates for the stock commands; anything else starts with {}.
const argTemplates = { set_exposure: '{"ms": 10}', set_rate: '{"hz": 30}' };

function renderServices(services) {
  const body = $("services").tBodies[0];
  const seen = new Set();
  for (const s of services) {
    seen.add(s.name);
    let row = body.querySelector('tr[data-service="' + CSS.escape(s.name) + '"]');
    if (!row) {
      row = makeServiceRow(s);
      body.append(row);
    }
    row.cells[1].textContent = s.node + " (" + s.pid + ")";
    const state = s.state ? Object.entries(s.state).filter(([k]) => k !== "why")
      .map(([k, v]) => k + "=" + (typeof v === "object" ? JSON.stringify(v) : v)).join("  ") : "";
    row.cells[2].textContent = state;
    row.cells[2].dataset.state = s.state ? JSON.stringify(s.state) : "";
    const select = row.querySelector("select[name=command]");
    const names = Array.from(select.options).map((o) => o.value);
    if (names.join("|") !== s.commands.join("|")) {
      const current = select.value;
      select.replaceChildren(...s.commands.map((c) => el("option", { value: c }, c)));
      if (s.commands.includes(current)) select.value = current;
    }
  }
  for (const row of Array.from(body.rows))
    if (!seen.has(row.dataset.service)) row.remove();
}

function makeServiceRow(s) {
  const select = el("select", { name: "command" });
  const args = el("input", { name: "args", value: "{}", title: "arguments as a JSON object" });
  const button = el("button", { type: "submit", disabled: dxhub.readOnly }, "send");
  const reply = el("pre", { class: "reply" });
  const form = el("form", { class: "command", "data-service": s.name }, select, args, button, reply);
  select.onchange = () => { args.value = argTemplates[select.value] || "{}"; };
  form.onsubmit = (ev) => {
    ev.preventDefault();
    let parsed;
    try {
      parsed = args.value.trim() ? JSON.parse(args.value) : {};
    } catch (e) {
      reply.className = "reply error";
      reply.textContent = "arguments are not JSON: " + e.message;
      return;
    }
    const id = dxhub.nextId++;
    form.dataset.pending = id;
    reply.className = "reply";
    reply.textContent = "sent " + select.value + " ...";
    send({ type: "command", id, service: s.name, command: select.value, args: parsed });
  };
  return el("tr", { "data-service": s.name }, el("td", {}, s.name), el("td", {}), el("td", { class: "state" }), el("td", {}, form));
}

function onReply(r) {
  dxhub.replies.push(r);
  const form = document.querySelector('form[data-pending="' + r.id + '"]');
  if (!form) return;
  const reply = form.querySelector("pre.reply");
  reply.className = r.ok ? "reply" : "reply error";
  reply.textContent = r.command + " (" + r.latency_ms.toFixed(1) + " ms): " +
    (r.ok ? JSON.stringify(r.result) : "error: " + r.error);
  reply.dataset.ok = r.ok;
}

// -- events --------------------------------------------------------------------------

function eventText(e) {
  const t = new Date(e.wall_ns / 1e6).toISOString().slice(11, 23);
  const data = typeof e.data === "string" ? e.data : JSON.stringify(e.data);
  return [t, e.topic, e.kind, e.source, data];
}

function matches(e, filter) {
  if (!filter) return true;
  return (e.topic + " " + e.kind + " " + e.source).toLowerCase().includes(filter.toLowerCase());
}

function addEvent(e) {
  dxhub.events.push(e);
  if (dxhub.events.length > maxEvents) dxhub.events.shift();
  const list = $("events");
  if (matches(e, $("event-filter").value)) {
    const [t, topic, kind, source, data] = eventText(e);
    list.prepend(el("li", { class: kind, "data-topic": topic, "data-kind": kind },
      t + " ", el("b", {}, topic), " ", el("span", { class: "kind" }, kind), " " + source + " " + data.slice(0, 300)));
    while (list.children.length > maxEvents) list.lastChild.remove();
  }
  $("event-count").textContent = dxhub.events.length + " events kept";
}

function refilterEvents() {
  $("events").replaceChildren();
  const all = dxhub.events.slice();
  dxhub.events = [];
  for (const e of all) addEvent(e);
}

// -- frames --------------------------------------------------------------------------

const arrays = {
  u8: Uint8Array, i8: Int8Array, u16: Uint16Array, i16: Int16Array, u32: Uint32Array,
  i32: Int32Array, f32: Float32Array, f64: Float64Array, u64: BigUint64Array, i64: BigInt64Array,
};

function onFrame(buffer) {
  const view = new DataView(buffer);
  const headerBytes = view.getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, headerBytes)));
  const Type = arrays[header.dtype];
  if (!Type) return;
  // The dashboard aligns the bytes (header padded to a multiple of 8): a
  // view in place, no copy of the frame; slice() only if they are not.
  const offset = 4 + headerBytes;
  let data = offset % Type.BYTES_PER_ELEMENT === 0
    ? new Type(buffer, offset, (buffer.byteLength - offset) / Type.BYTES_PER_ELEMENT)
    : new Type(buffer.slice(offset));
  if (Type === BigUint64Array || Type === BigInt64Array) data = Float64Array.from(data, Number);
  const stats = dxhub.frames[header.kind];
  stats.count += 1;
  stats.sequence = header.sequence;
  stats.session = header.session;
  stats.channel = header.channel;
  stats.wall_ns = header.wall_ns;
  stats.shownAt = Date.now();
  if (header.kind === "image" && header.channel === $("image-channel").value) drawImage(header, data);
  if (header.kind === "waveform" && header.channel === $("waveform-channel").value) drawWaveform(header, data);
}

const colormaps = {
  gray: [[0, 0, 0], [255, 255, 255]],
  viridis: [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]],
  inferno: [[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]],
  jet: [[0, 0, 131], [0, 60, 255], [0, 255, 255], [255, 255, 0], [255, 60, 0], [128, 0, 0]],
};
const luts = {};

function lut(name) {
  if (luts[name]) return luts[name];
  const stops = colormaps[name] || colormaps.gray;
  const table = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; ++i) {
    const x = (i / 255) * (stops.length - 1);
    const k = Math.min(stops.length - 2, Math.floor(x));
    const f = x - k;
    for (let c = 0; c < 3; ++c) table[i * 3 + c] = Math.round(stops[k][c] * (1 - f) + stops[k + 1][c] * f);
  }
  luts[name] = table;
  return table;
}

// A colour map as one RGBA word per index (the bytes of an ImageData pixel
// in this machine's order): a pixel is then one store.
const packedLuts = {};

function packedLut(name) {
  if (packedLuts[name]) return packedLuts[name];
  const table = lut(name);
  const packed = new Uint32Array(256);
  const bytes = new Uint8Array(packed.buffer);
  for (let i = 0; i < 256; ++i) {
    for (let c = 0; c < 3; ++c) bytes[i * 4 + c] = table[i * 3 + c];
    bytes[i * 4 + 3] = 255;
  }
  packedLuts[name] = packed;
  return packed;
}

// Auto contrast: the 0.5 % and 99.95 % points of a sample of the pixels, so
// that a few hot or dead pixels do not flatten the picture. The sample is a
// typed array: its sort is numeric without a comparator call per step.
function autoRange(data) {
  const step = Math.max(1, Math.floor(data.length / 20000));
  const sample = new data.constructor(Math.ceil(data.length / step));
  for (let i = 0, k = 0; i < data.length; i += step) sample[k++] = data[i];
  sample.sort();
  const lo = sample[Math.floor(sample.length * 0.005)];
  const hi = sample[Math.min(sample.length - 1, Math.floor(sample.length * 0.9995))];
  return [lo, hi > lo ? hi : lo + 1];
}

let lastImage = null;
// Reused while the picture keeps its size: every pixel is written each frame.
let imageData = null;

function drawImage(header, data) {
  const [h, w] = header.shape;
  const canvas = $("image");
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  let lo, hi;
  if ($("contrast").value === "auto") {
    [lo, hi] = autoRange(data);
    $("contrast-min").value = lo;
    $("contrast-max").value = hi;
  } else {
    lo = Number($("contrast-min").value);
    hi = Math.max(lo + 1e-9, Number($("contrast-max").value));
  }
  const table = packedLut($("colormap").value);
  const ctx = canvas.getContext("2d");
  if (!imageData || imageData.width !== w || imageData.height !== h) imageData = ctx.createImageData(w, h);
  const px = new Uint32Array(imageData.data.buffer);
  const scale = 255 / (hi - lo);
  for (let i = 0; i < w * h; ++i) {
    const v = Math.round((data[i] - lo) * scale);
    px[i] = table[v > 0 ? (v < 255 ? v : 255) : 0]; // NaN: the lowest colour
  }
  ctx.putImageData(imageData, 0, 0);
  lastImage = { header, data, w, h };
  const age = Date.now() - header.wall_ns / 1e6;
  // Publish-to-display latency (same host: the browser's clock against the
  // frame's publish time), kept for `bench_dashboard.py`.
  const ages = dxhub.frames.image.ages || (dxhub.frames.image.ages = []);
  ages.push(age);
  if (ages.length > 4000) ages.splice(0, ages.length - 4000);
  const info = $("image-info");
  info.textContent = header.channel + "  " + header.field + " " + header.dtype + "[" + h + "," + w + "]" +
    "  sequence " + header.sequence + "  session " + header.session + "  age " + age.toFixed(0) + " ms" +
    "  range " + fmt(lo, 0) + ".." + fmt(hi, 0) + "  frames shown " + dxhub.frames.image.count;
  info.dataset.sequence = header.sequence;
  info.dataset.session = header.session;
}

function showPixel(ev) {
  if (!lastImage) return;
  const canvas = $("image");
  const r = canvas.getBoundingClientRect();
  const x = Math.floor((ev.clientX - r.left) * lastImage.w / r.width);
  const y = Math.floor((ev.clientY - r.top) * lastImage.h / r.height);
  if (x < 0 || y < 0 || x >= lastImage.w || y >= lastImage.h) return;
  $("pixel-info").textContent = "x " + x + "  y " + y + "  value " + lastImage.data[y * lastImage.w + x];
}

const traceColours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

function drawWaveform(header, data) {
  const rows = header.shape.length === 2 ? header.shape[0] : 1;
  const n = header.shape.length === 2 ? header.shape[1] : header.shape[0];
  const canvas = $("waveform");
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  let lo = Infinity, hi = -Infinity;
  for (const v of data) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (!(hi > lo)) { hi = lo + 1; }
  const pad = 8;
  const sy = (canvas.height - 2 * pad) / (hi - lo);
  const sx = (canvas.width - 2 * pad) / Math.max(1, n - 1);
  ctx.strokeStyle = "#d8dde3";
  ctx.beginPath();
  ctx.moveTo(pad, canvas.height - pad - (0 - lo) * sy);
  ctx.lineTo(canvas.width - pad, canvas.height - pad - (0 - lo) * sy);
  ctx.stroke();
  for (let r = 0; r < rows; ++r) {
    ctx.strokeStyle = traceColours[r % traceColours.length];
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    for (let i = 0; i < n; ++i) {
      const x = pad + i * sx;
      const y = canvas.height - pad - (data[r * n + i] - lo) * sy;
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    }
    ctx.stroke();
  }
  const age = Date.now() - header.wall_ns / 1e6;
  const info = $("waveform-info");
  info.textContent = header.channel + "  " + header.field + " " + header.dtype + "[" + header.shape.join(",") + "]  " +
    rows + " trace(s)  range " + lo.toPrecision(3) + ".." + hi.toPrecision(3) +
    "  sequence " + header.sequence + "  session " + header.session + "  age " + age.toFixed(0) + " ms";
  info.dataset.sequence = header.sequence;
}

// -- start ---------------------------------------------------------------------------

$("image-channel").onchange = sendWatch;
$("waveform-channel").onchange = sendWatch;
$("event-filter").oninput = refilterEvents;
$("image").onmousemove = showPixel;
connect();
