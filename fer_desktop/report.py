"""A report for a recording: valence chart per face (PNG, and inside a self-contained HTML
file that opens offline), share of time in each label, strongest moments and markers."""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from fer_desktop.timeline import read_timeline

FACE_COLOURS = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]


RESPONSIBLE_USE = (
    "The label describes the look of a face, not what the person feels. Ask people before "
    "recording them. Do not use it to make decisions about people: the EU AI Act, "
    "Art. 5(1)(f), prohibits emotion recognition in workplaces and education, except for "
    "medical or safety reasons."
)


def face_colour(face_id: int) -> str:
    """The colour of a face id, shared by the report and the window."""
    return FACE_COLOURS[(face_id - 1) % len(FACE_COLOURS)]


@dataclass
class FaceSummary:
    face_id: int
    first_t: float
    last_t: float
    frames: int
    label_share: dict[str, float]  # label -> share of this face's time
    happiest: tuple[float, float]  # (t_source, valence)
    saddest: tuple[float, float]
    mean_valence: float


def summarise(timeline: dict) -> list[FaceSummary]:
    """Per-face figures. Each row counts for the time until the face's next row (capped)."""
    by_face: dict[int, list[dict]] = defaultdict(list)
    for row in timeline["faces"]:
        by_face[int(row["face_id"])].append(row)
    labels = (timeline["header"] or {}).get("labels", [])
    out = []
    for fid, rows in sorted(by_face.items()):
        rows.sort(key=lambda r: r["t_source"])
        ts = [r["t_source"] for r in rows]
        steps = [b - a for a, b in itertools.pairwise(ts)]
        typical = sorted(steps)[len(steps) // 2] if steps else 1.0
        weights = [min(s, 2 * typical) for s in steps] + [typical]
        total = sum(weights) or 1.0
        share = dict.fromkeys(labels, 0.0)
        for r, wgt in zip(rows, weights, strict=True):
            share[r["label"]] = share.get(r["label"], 0.0) + wgt / total
        vals = [r["valence"] for r in rows]
        hi = max(range(len(rows)), key=lambda i: vals[i])
        lo = min(range(len(rows)), key=lambda i: vals[i])
        out.append(
            FaceSummary(
                fid,
                ts[0],
                ts[-1],
                len(rows),
                share,
                (ts[hi], vals[hi]),
                (ts[lo], vals[lo]),
                sum(vals) / len(vals),
            )
        )
    return out


def summarize(timeline: dict) -> dict:
    """One video in a few numbers: faces seen, share of each label and mean valence over all
    face rows (each face weighted by its rows)."""
    faces = summarise(timeline)
    rows = sum(f.frames for f in faces)
    labels = (timeline["header"] or {}).get("labels", [])
    share = (
        {
            lab: round(sum(f.label_share.get(lab, 0.0) * f.frames for f in faces) / rows, 4)
            for lab in labels
        }
        if rows
        else {}
    )
    mean = round(sum(f.mean_valence * f.frames for f in faces) / rows, 4) if rows else ""
    return {"faces": len(faces), "share": share, "mean_valence": mean}


def _moment(t_and_valence: tuple[float, float], sign: int) -> str:
    """'01:23 (+0.62)', or '–' when valence never went that way (no "saddest +0.01")."""
    t, v = t_and_valence
    return f"{_clock(t)} ({v:+.2f})" if v * sign > 0 else "–"


def chart_png(timeline: dict, title: str, size: tuple[float, float] = (10, 4)) -> bytes:
    """Valence over time, one line per face, with the label bands and markers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=size, dpi=100)
    ax.axhspan(0.2, 1.05, color="#2ca02c", alpha=0.08, label="happy side")
    ax.axhspan(-1.05, -0.2, color="#1f77b4", alpha=0.08, label="sad side")
    by_face: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for row in timeline["faces"]:
        by_face[int(row["face_id"])].append((row["t_source"], row["valence"]))
    for fid, pts in sorted(by_face.items()):
        pts.sort()
        ax.plot(
            [p[0] for p in pts],
            [p[1] for p in pts],
            color=face_colour(fid),
            lw=1.3,
            label=f"face {fid}",
        )
    for m in timeline["markers"]:
        ax.axvline(m["t_source"], color="#444", ls="--", lw=1)
        if m.get("note"):
            ax.text(m["t_source"], 1.0, f" {m['note']}", fontsize=8, va="top")
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel("source time (s)")
    ax.set_ylabel("valence  p(happy) − p(sad)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8, ncol=4)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _wall_span(timeline: dict) -> str:
    """First and last wall-clock time of the analysed frames."""
    rows = timeline.get("frames") or timeline["faces"]
    if not rows:
        return "–"
    first, last = rows[0]["t_wall"], rows[-1]["t_wall"]
    return f"{first[:19].replace('T', ' ')} – {last[11:19]}"


def _clock(t: float) -> str:
    m, s = divmod(t, 60.0)
    return f"{int(m):02d}:{s:05.2f}"


def write_report(timeline_path: Path, out_dir: Path | None = None) -> tuple[Path, Path]:
    """Write <stem>_report.png and <stem>_report.html beside the timeline (or in out_dir)."""
    timeline_path = Path(timeline_path)
    out_dir = Path(out_dir) if out_dir else timeline_path.parent
    timeline = read_timeline(timeline_path)
    header = timeline["header"] or {}
    source = header.get("source", timeline_path.stem)
    png = chart_png(timeline, f"Mood over time: {source}")
    png_path = out_dir / f"{timeline_path.stem}_report.png"
    html_path = out_dir / f"{timeline_path.stem}_report.html"
    png_path.write_bytes(png)
    timeline["markers"] = [
        {"t_source": t, "note": note} for t, note in markers_of(timeline, timeline_path)
    ]
    html_path.write_text(
        render_html(timeline, summarise(timeline), png, timeline_path.name), encoding="utf-8"
    )
    return png_path, html_path


def segments(markers: list[tuple[float, str]], end: float) -> list[tuple[str, float, float]]:
    """(name, start, end): the whole session, then each stretch between markers."""
    ordered = sorted(markers)
    cuts = [0.0, *(t for t, _ in ordered), end]
    names = ["start", *(note or f"marker {i + 1}" for i, (_t, note) in enumerate(ordered))]
    out = [("whole session", 0.0, end)]
    for name, a, b in zip(names, cuts, cuts[1:], strict=False):
        if b > a:
            out.append((f"from {name}", a, b))
    return out


def markers_of(timeline: dict, timeline_path: Path) -> list[tuple[float, str]]:
    """The markers as edited in review mode (the sidecar file), else the timeline's own."""
    sidecar = timeline_path.with_name(timeline_path.name + ".markers.json")
    if sidecar.exists():
        data = json.loads(sidecar.read_text(encoding="utf-8"))
        return [(m["t_source"], m.get("note", "")) for m in data["markers"]]
    return [(m["t_source"], m.get("note") or "") for m in timeline["markers"]]


def segment_table(timeline: dict, markers: list[tuple[float, str]]) -> str:
    """HTML rows: per segment and face, share of each label and mean valence."""
    labels = (timeline["header"] or {}).get("labels", [])
    end = max((f["t_source"] for f in timeline["faces"]), default=0.0)
    rows = []
    for name, a, b in segments(markers, end):
        part = {**timeline, "faces": [f for f in timeline["faces"] if a <= f["t_source"] <= b]}
        for f in summarise(part):
            shares = "".join(f"<td>{100 * f.label_share.get(lab, 0):.0f}%</td>" for lab in labels)
            rows.append(
                f"<tr><td>{html.escape(name)}</td><td>{_clock(a)}–{_clock(b)}</td>"
                f"<td>face {f.face_id}</td>{shares}<td>{f.mean_valence:+.2f}</td></tr>"
            )
    heads = "".join(f"<th>{html.escape(lab)}</th>" for lab in labels)
    return (
        f"<table><tr><th>segment</th><th>time</th><th>face</th>{heads}<th>mean valence</th>"
        f"</tr>{''.join(rows)}</table>"
    )


def face_thumbnails(timeline: dict, size: int = 64) -> dict[int, str]:
    """face id -> a small JPEG (data URL) of that face, cut from the video at its most
    confident detection; empty when the video is not where the timeline says."""
    header = timeline["header"] or {}
    video = header.get("source_path") or header.get("source")
    if not video or not Path(video).is_file():
        return {}
    import cv2

    best: dict[int, dict] = {}
    for row in timeline["faces"]:
        fid = int(row["face_id"])
        if fid not in best or row.get("score", 0) > best[fid].get("score", 0):
            best[fid] = row
    out = {}
    capture = cv2.VideoCapture(str(video))
    try:
        for fid, row in best.items():
            capture.set(cv2.CAP_PROP_POS_FRAMES, int(row["frame"]))
            ok, frame = capture.read()
            if not ok:
                continue
            x, y, w, h = (round(v) for v in row["box"])
            crop = frame[max(y, 0) : y + h, max(x, 0) : x + w]
            if crop.size:
                _ok, jpg = cv2.imencode(".jpg", cv2.resize(crop, (size, size)))
                out[fid] = "data:image/jpeg;base64," + base64.b64encode(jpg.tobytes()).decode()
    finally:
        capture.release()
    return out


def reliability(settings: dict) -> str:
    """How often the model is right per class, from its card (PrivateTest, duplicates
    removed), so readers know how far to trust each label."""
    from fer_desktop.classifier import ModelCard, ModelError, card_path_for, resolve_model_path

    try:
        card = ModelCard.load(card_path_for(resolve_model_path(settings.get("model", ""))))
        m = card.raw["metrics_int8"]["private_dedup"]
    except (ModelError, KeyError, TypeError):
        return ""
    recall = ", ".join(f"{lab} {100 * r:.0f}%" for lab, r in m["recall"].items())
    return (
        f"On faces it never trained on (FER2013 PrivateTest), this model is right "
        f"{100 * m['accuracy']:.0f}% of the time; per class (recall): {recall}."
    )


SHOWN_SETTINGS = ("model_name", "detector_range", "detector_tiles", "min_confidence",
                  "min_face_px", "smoothing", "hysteresis", "margin", "align")  # fmt: skip


def render_html(timeline: dict, faces: list[FaceSummary], png: bytes, name: str) -> str:
    header = timeline["header"] or {}
    settings = header.get("settings", {})
    labels = header.get("labels", [])
    esc = html.escape
    thumbs = face_thumbnails(timeline)
    rows = []
    for f in faces:
        shares = "".join(f"<td>{100 * f.label_share.get(lab, 0):.0f}%</td>" for lab in labels)
        thumb = f"<img alt='' src='{thumbs[f.face_id]}' width='48'> " if f.face_id in thumbs else ""
        rows.append(
            f"<tr><td style='color:{face_colour(f.face_id)}'>{thumb}<b>face {f.face_id}</b></td>"
            f"<td>{_clock(f.first_t)}–{_clock(f.last_t)}</td>{shares}"
            f"<td>{f.mean_valence:+.2f}</td>"
            f"<td>{_moment(f.happiest, +1)}</td><td>{_moment(f.saddest, -1)}</td></tr>"
        )
    markers = (
        "".join(
            f"<li>{_clock(m['t_source'])} {esc(m.get('note') or '')}</li>"
            for m in timeline["markers"]
        )
        or "<li>none</li>"
    )
    gaps = "".join(
        f"<li>{_clock(g['t_source'])} {esc(g.get('note') or '')}</li>" for g in timeline["gaps"]
    )
    complete = "complete" if timeline["summary"] else "cut short (no summary line)"
    img = base64.b64encode(png).decode("ascii")
    label_heads = "".join(f"<th>{esc(lab)}</th>" for lab in labels)
    marker_list = [(m["t_source"], m.get("note") or "") for m in timeline["markers"]]
    settings_rows = "".join(
        f"<tr><td>{esc(k)}</td><td>{esc(str(settings[k]))}</td></tr>"
        for k in SHOWN_SETTINGS
        if k in settings
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fer_desktop report: {esc(name)}</title>
<style>body{{font-family:sans-serif;max-width:1020px;margin:2em auto;color:#222}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}
.note{{color:#666;font-size:90%}}</style></head><body>
<h1>Mood report</h1>
<p><b>Source:</b> {esc(str(header.get("source", "?")))} &nbsp; <b>Timeline:</b> {esc(name)}
&nbsp; <b>Analysed (wall clock, UTC):</b> {esc(_wall_span(timeline))}
({complete}) &nbsp; <b>Model:</b> {esc(str(settings.get("model_name", "?")))}</p>
<img alt="valence over time per face" src="data:image/png;base64,{img}" width="1000">
<h2>Faces</h2>
<table><tr><th>face</th><th>seen</th>{label_heads}<th>mean valence</th>
<th>happiest moment</th><th>saddest moment</th></tr>{"".join(rows) or ""}</table>
<p class="note">Shares are of the time each face was in view. Valence is p(happy) − p(sad)
after smoothing, from −1 to +1.</p>
<p class="note">{esc(reliability(settings))}</p>
<h2>Markers</h2><ul>{markers}</ul>
<h2>Segments</h2>{segment_table(timeline, marker_list)}
{"<h2>Gaps</h2><ul>" + gaps + "</ul>" if gaps else ""}
<h2>Settings</h2><table>{settings_rows}</table>
<p class="note">Made by fer_desktop on this computer; no frame or result left it.
{esc(RESPONSIBLE_USE)}</p>
</body></html>
"""


OVERVIEW_COLUMNS = [
    ("name", "video"), ("status", "status"), ("duration_s", "duration (s)"),
    ("frames", "frames"), ("faces", "faces"), ("share_happy", "happy"),
    ("share_neutral", "neutral"), ("share_sad", "sad"), ("mean_valence", "mean valence"),
    ("seconds", "analysis (s)"), ("error", "error"),
]  # fmt: skip
SORT_SCRIPT = """<script>
document.querySelectorAll("th").forEach((th, col) => th.addEventListener("click", () => {
  const body = th.closest("table").tBodies[0], rows = [...body.rows];
  const key = r => { const t = r.cells[col].dataset.v ?? r.cells[col].innerText;
                     const n = parseFloat(t); return isNaN(n) ? t : n; };
  const dir = th.dataset.dir = th.dataset.dir === "1" ? "-1" : "1";
  rows.sort((a, b) => (key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0) * dir);
  rows.forEach(r => body.appendChild(r));
}));
</script>"""


def write_overview(rows: list[dict], out_dir: Path) -> Path:
    """out_dir/overview.html: every video side by side (a small chart each) and a table that
    sorts by any column. Self-contained, like the per-video report."""
    esc = html.escape
    cards, body = [], []
    for row in sorted(rows, key=lambda r: r["name"]):
        cells = []
        for key, _title in OVERVIEW_COLUMNS:
            value = row.get(key, "")
            shown = (
                f"{100 * float(value):.0f}%" if key.startswith("share_") and value != "" else value
            )
            cells.append(f"<td data-v='{esc(str(value))}'>{esc(str(shown))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
        timeline_path = Path(row.get("timeline") or "")
        if row.get("status") == "ok" and timeline_path.is_file():
            png = chart_png(read_timeline(timeline_path), row["name"], size=(4.8, 2.2))
            img = base64.b64encode(png).decode("ascii")
            cards.append(f"<img alt='{esc(row['name'])}' src='data:image/png;base64,{img}'>")
    heads = "".join(f"<th title='click to sort'>{t}</th>" for _k, t in OVERVIEW_COLUMNS)
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fer_desktop overview</title>
<style>body{{font-family:sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:3px 7px}}th{{cursor:pointer;background:#f4f4f4}}
img{{width:480px;margin:4px}}.note{{color:#666;font-size:90%}}</style></head><body>
<h1>Overview: {len(rows)} videos</h1>
<table><thead><tr>{heads}</tr></thead><tbody>{"".join(body)}</tbody></table>
<p class="note">Shares are of the time faces were in view. Valence is p(happy) − p(sad).
{esc(RESPONSIBLE_USE)}</p>
<h2>Valence over time</h2><div>{"".join(cards)}</div>
{SORT_SCRIPT}</body></html>
"""
    path = out_dir / "overview.html"
    path.write_text(page, encoding="utf-8")
    return path
