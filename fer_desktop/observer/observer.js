// The observer page: reads the fer_desktop stream of this same origin and shows each face's
// label, valence per face over the last 60 s, and the markers. No library, no CDN.
"use strict";

const WINDOW_S = 60;
const COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
  "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];  // as fer_desktop.report.FACE_COLOURS
const faces = new Map();  // face id -> {label, valence, points: [[t, valence]], seen}
const markers = [];  // {t, note, source}
let latest = 0;  // wall time (s) of the newest frame
let socket = null;
let drawPending = false;

function colour(id) { return COLOURS[(id - 1) % COLOURS.length]; }

function wallSeconds(iso) {  // "…T22:15:03.123456+00:00": ms precision is enough here
  return Date.parse(String(iso).replace(/(\.\d{3})\d+/, "$1")) / 1000;
}

function streamUrl() {
  const token = new URLSearchParams(location.search).get("token");
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  return scheme + location.host + "/" + (token ? "?token=" + encodeURIComponent(token) : "");
}

function setState(text, cls) {
  const state = document.getElementById("state");
  state.textContent = text;
  state.className = "state " + cls;
}

function onFrame(line) {
  const t = wallSeconds(line.t_wall);
  latest = Math.max(latest, t);
  const here = new Set();
  for (const f of line.faces) {
    here.add(f.face_id);
    const face = faces.get(f.face_id) || {points: []};
    face.label = f.label;
    face.valence = f.valence;
    face.points.push([t, f.valence]);
    while (face.points.length && face.points[0][0] < latest - WINDOW_S) face.points.shift();
    faces.set(f.face_id, face);
  }
  for (const [id, face] of faces) face.seen = here.has(id);
  renderFaces();
  scheduleDraw();
}

function renderFaces() {
  const box = document.getElementById("faces");
  box.replaceChildren();
  const ids = [...faces.keys()].sort((a, b) => a - b);
  if (!ids.some(id => faces.get(id).seen)) {
    const none = document.createElement("p");
    none.className = "none";
    none.textContent = "no face in view";
    box.append(none);
  }
  for (const id of ids) {
    const face = faces.get(id);
    if (!face.seen && !face.points.length) continue;
    const card = document.createElement("div");
    card.className = "face" + (face.seen ? "" : " gone");
    card.dataset.faceId = id;
    card.style.borderColor = colour(id);
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = "face " + id + (face.seen ? "" : " (not in view)");
    const label = document.createElement("span");
    label.className = "label";
    label.textContent = face.label;
    const valence = document.createElement("span");
    valence.className = "valence";
    valence.textContent = (face.valence >= 0 ? "+" : "") + face.valence.toFixed(2);
    card.append(name, label, valence);
    box.append(card);
  }
}

function onEvent(line) {
  if (line.event === "marker") {
    const marker = {t: wallSeconds(line.t_wall), note: line.note || "",
      source: line.source || ""};
    markers.push(marker);
    const item = document.createElement("li");
    item.className = "marker";
    const when = document.createElement("span");
    when.className = "when";
    when.textContent = String(line.t_wall).slice(11, 19);
    const note = document.createElement("span");
    note.className = "note-text";
    note.textContent = marker.note || "(no note)";
    const source = document.createElement("span");
    source.className = "source";
    source.textContent = marker.source;
    item.append(when, note, source);
    const list = document.getElementById("markers");
    list.prepend(item);
    while (list.children.length > 200) list.lastChild.remove();  // the newest 200 listed
    while (markers.length > 200) markers.shift();
    scheduleDraw();
  } else if (line.event === "status" && line.note !== "source ended") {
    setState(line.note, line.note.startsWith("camera lost") ? "closed" : "live");
  } else if (line.event === "end") {
    setState("session ended", "ended");
  } else if (line.event === "labels") {
    document.getElementById("stream").dataset.labels = line.labels.join(",");
  }
}

function scheduleDraw() {
  if (drawPending) return;
  drawPending = true;
  setTimeout(() => { drawPending = false; draw(); }, 100);
}

function draw() {
  const canvas = document.getElementById("chart");
  const g = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, left = 40, right = 10, top = 10, bottom = 24;
  const x = t => left + (t - (latest - WINDOW_S)) / WINDOW_S * (w - left - right);
  const y = v => top + (1 - v) / 2 * (h - top - bottom);
  g.clearRect(0, 0, w, h);
  g.font = "11px sans-serif";
  g.fillStyle = "#666";
  g.strokeStyle = "#ddd";
  for (const v of [-1, -0.5, 0, 0.5, 1]) {
    g.beginPath(); g.moveTo(left, y(v)); g.lineTo(w - right, y(v)); g.stroke();
    g.fillText(v.toFixed(1), 4, y(v) + 4);
  }
  for (const s of [60, 45, 30, 15]) g.fillText("−" + s + " s", x(latest - s) - 12, h - 6);
  g.fillText("now", x(latest) - 20, h - 6);
  g.lineWidth = 2;
  for (const [id, face] of faces) {
    g.strokeStyle = colour(id);
    g.beginPath();
    let previous = null;
    for (const [t, v] of face.points) {
      if (previous === null || t - previous > 1.0) g.moveTo(x(t), y(v));  // a gap: no line
      else g.lineTo(x(t), y(v));
      previous = t;
    }
    g.stroke();
  }
  g.lineWidth = 1;
  g.setLineDash([5, 4]);
  g.strokeStyle = "#444";
  g.fillStyle = "#222";
  markers.forEach((m, i) => {
    if (m.t < latest - WINDOW_S) return;
    g.beginPath(); g.moveTo(x(m.t), top); g.lineTo(x(m.t), h - bottom); g.stroke();
    const text = m.note || "marker";
    const width = g.measureText(text).width;
    const at = x(m.t) + 3 + width > w - right ? x(m.t) - 3 - width : x(m.t) + 3;
    const row = top + 12 + (i % 4) * 14;  // neighbours on different rows
    g.fillStyle = "rgba(255, 255, 255, 0.85)";
    g.fillRect(at - 2, row - 10, width + 4, 13);
    g.fillStyle = "#222";
    g.fillText(text, at, row);
  });
  g.setLineDash([]);
  canvas.dataset.drawn = String(faces.size);
}

function connect() {
  socket = new WebSocket(streamUrl());
  socket.onopen = () => setState("live", "live");
  socket.onmessage = message => {
    const line = JSON.parse(message.data);
    if (line.type === "header") {
      document.getElementById("stream").textContent = line.name + " — " + line.source;
    } else if (line.type === "frame") {
      onFrame(line);
    } else if (line.type === "event") {
      onEvent(line);
    } else if (line.type === "error") {
      document.getElementById("error").textContent = line.error;
    }
  };
  socket.onclose = event => {
    if (!document.getElementById("state").classList.contains("ended")) {
      setState(event.code === 1006 ? "cannot connect (token?)" : "closed", "closed");
    }
  };
}

document.getElementById("marker-form").addEventListener("submit", event => {
  event.preventDefault();
  const note = document.getElementById("note");
  if (socket && socket.readyState === WebSocket.OPEN) {
    document.getElementById("error").textContent = "";
    socket.send(JSON.stringify({type: "marker", note: note.value}));
    note.value = "";
  }
});

connect();
