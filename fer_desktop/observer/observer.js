// The observer page: reads the fer_desktop stream of this same origin and shows each face's
// label, its head pose and eye openness when the face mesh is on (as text, or why it could
// not be measured), valence per face over the last 60 s, and the markers (in time order). When the
// stream goes away it tries again, waiting longer each time (RETRY_S), and says so. A new
// "header" line (the window's next source) starts the faces afresh. No library, no CDN.
"use strict";

const WINDOW_S = 60;
const GONE_S = 10;  // a face out of view this long loses its card (one line counts them)
const GONE_CARDS = 4;  // and at most this many faces out of view keep one
const RETRY_S = [1, 2, 4, 8, 15];  // waits before each new try to connect, then the last
const LABEL_ROWS = 4;  // marker notes over the chart: rows, and the longest note shown
const LABEL_CHARS = 40;
const COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
  "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];  // as fer_desktop.report.FACE_COLOURS
const faces = new Map();  // face id -> {label, valence, points: [[t, valence]], seen, last}
const markers = [];  // {t, note, source, item}, in time order
let latest = 0;  // wall time (s) of the newest frame
let socket = null;
let drawPending = false;
let tries = 0;  // failed tries to connect since the stream was last read

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
    face.mesh = f.mesh || null;  // schema 4: with the face mesh on
    face.points.push([t, f.valence]);
    face.last = t;
    while (face.points.length && face.points[0][0] < latest - WINDOW_S) face.points.shift();
    faces.set(f.face_id, face);
  }
  for (const [id, face] of faces) {
    face.seen = here.has(id);
    if (!face.seen && face.last < latest - WINDOW_S) faces.delete(id);  // off the chart too
  }
  renderFaces();
  scheduleDraw();
}

function renderFaces() {
  // The faces in view, then the GONE_CARDS that left last (within GONE_S); the others
  // that left are one line: a long crowd clip does not fill the page with cards.
  const box = document.getElementById("faces");
  box.replaceChildren();
  const all = [...faces.entries()];
  const seen = all.filter(([, f]) => f.seen).sort((a, b) => a[0] - b[0]);
  const gone = all.filter(([, f]) => !f.seen).sort((a, b) => b[1].last - a[1].last);
  const carded = gone.filter(([, f]) => f.last >= latest - GONE_S).slice(0, GONE_CARDS);
  if (!seen.length) {
    const none = document.createElement("p");
    none.className = "none";
    none.textContent = "no face in view";
    box.append(none);
  }
  for (const [id, face] of [...seen, ...carded]) box.append(faceCard(id, face));
  const left = gone.length - carded.length;
  if (left) {
    const line = document.createElement("p");
    line.className = "none left";
    line.textContent = left + (left === 1 ? " face" : " faces") + " left the view (" +
      "still on the chart for 60 s)";
    box.append(line);
  }
}

function faceCard(id, face) {
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
  if (face.mesh) card.append(measuresLine(face.mesh));
  return card;
}

function signed(v, digits) { return (v >= 0 ? "+" : "−") + Math.abs(v).toFixed(digits); }

function measuresLine(mesh) {
  // "head yaw +3° pitch −5° roll −6°", "eyes R 0.36 L 0.35", or the reason they are missing.
  const parts = [];
  const pose = mesh.head_pose_deg, eyes = mesh.eye_openness;
  if (pose) {
    parts.push("head yaw " + signed(pose.yaw, 0) + "° pitch " + signed(pose.pitch, 0) +
      "° roll " + signed(pose.roll, 0) + "°");
  }
  if (eyes) parts.push("eyes R " + eyes.right.toFixed(2) + " L " + eyes.left.toFixed(2));
  if (mesh.reason && !(pose && eyes)) parts.push(String(mesh.reason));
  const line = document.createElement("span");
  line.className = "measures";
  line.dataset.yaw = pose ? String(pose.yaw) : "";
  line.dataset.eyeRight = eyes ? String(eyes.right) : "";
  line.textContent = parts.join(" · ") || "not measured";
  return line;
}

function onEvent(line) {
  if (line.event === "marker") {
    const marker = {t: wallSeconds(line.t_wall), note: line.note || "",
      source: line.source || ""};
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
    item.dataset.t = String(marker.t);
    latest = Math.max(latest, marker.t);  // at the end of a file no frame moves "now" on
    marker.item = item;
    addMarker(marker);
    scheduleDraw();
  } else if (line.event === "status" && line.state !== "ended") {
    setState(line.note, line.state === "camera lost" ? "closed" : "live");
  } else if (line.event === "end") {
    setState("session ended: waiting for the next", "ended");
    for (const face of faces.values()) face.seen = false;  // nobody is in view any more
    renderFaces();
  } else if (line.event === "labels") {
    document.getElementById("stream").dataset.labels = line.labels.join(",");
  }
}

function addMarker(marker) {
  // In time order (a game may send one placed earlier); the list shows the newest first.
  let at = markers.length;
  while (at > 0 && markers[at - 1].t > marker.t) at -= 1;
  markers.splice(at, 0, marker);
  const list = document.getElementById("markers");
  const next = markers[at + 1];  // later in time: listed above this one
  list.insertBefore(marker.item, next ? next.item.nextSibling : list.firstChild);
  while (markers.length > 200) markers.shift().item.remove();  // the newest 200 kept
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
  const ends = new Array(LABEL_ROWS).fill(-Infinity);  // where each row's last note ends
  const placed = [];  // the notes drawn: {row, left, right}
  for (const m of markers) {  // in time order, so each row fills from left to right
    if (m.t < latest - WINDOW_S) continue;
    g.beginPath(); g.moveTo(x(m.t), top); g.lineTo(x(m.t), h - bottom); g.stroke();
    const note = m.note || "marker";
    const text = note.length > LABEL_CHARS ? note.slice(0, LABEL_CHARS - 1) + "…" : note;
    const width = g.measureText(text).width;
    const at = x(m.t) + 3 + width > w - right ? x(m.t) - 3 - width : x(m.t) + 3;
    const row = ends.findIndex(end => end + 6 <= at);  // 4 px clear between boxes
    if (row < 0) continue;  // no room: the dashed line only (the list has its note)
    ends[row] = at + width;
    placed.push({row, left: at - 2, right: at + width + 2});
    const y0 = top + 12 + row * 14;
    g.fillStyle = "rgba(255, 255, 255, 0.85)";
    g.fillRect(at - 2, y0 - 10, width + 4, 13);
    g.fillStyle = "#222";
    g.fillText(text, at, y0);
  }
  g.setLineDash([]);
  canvas.dataset.drawn = String(faces.size);
  canvas.dataset.notes = JSON.stringify(placed);
}

function connect() {
  socket = new WebSocket(streamUrl());
  let opened = false;
  socket.onopen = () => { opened = true; setState("live", "live"); };
  socket.onmessage = message => {
    tries = 0;
    const line = JSON.parse(message.data);
    if (line.type === "header") {  // a session begins (the window's next source, too)
      document.getElementById("stream").textContent = line.name + " — " + line.source;
      faces.clear();  // face ids are the session's own
      renderFaces();
      setState("live", "live");
    } else if (line.type === "frame") {
      onFrame(line);
    } else if (line.type === "event") {
      onEvent(line);
    } else if (line.type === "error") {
      document.getElementById("error").textContent = line.error;
    }
  };
  socket.onclose = event => {
    const wait = RETRY_S[Math.min(tries, RETRY_S.length - 1)];
    const why = opened ? (event.code === 1001 ? "stream closed" : "stream lost") :
      "cannot connect (token?)";
    tries += 1;
    setState(why + "; retrying in " + wait + " s", "closed");
    setTimeout(connect, wait * 1000);
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
