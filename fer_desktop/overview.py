"""The overview of many videos analysed into one folder: a small chart of each, linked to
its report, and the index's table that sorts by any column (`analyze` writes it)."""

from __future__ import annotations

import functools
import html
import os
from pathlib import Path

from fer_desktop.recording import read_recording
from fer_desktop.report import RESPONSIBLE_USE, VALENCE_NOTE, WEIGHTING_NOTE, chart_svg
from fer_desktop.stats import BRIEF_FACE_S, SMALL_FACE_PX, share_column, share_labels
from fer_desktop.svg_chart import inline

# The overview's columns: (index column, heading, what it holds); SHARES stands for a share
# column per class of the models the rows used (`overview_columns`).
SHARES = ("share", "", "")
OVERVIEW_COLUMNS = [
    ("name", "video", "its report, when written"),
    ("status", "status", "ok, truncated (the file ends early), failed or partial"),
    ("duration_s", "duration (s)", "the length the file's container gives"),
    ("analysed_s", "analysed (s)", "seconds of the video read"),
    ("faces", "faces", "faces seen (each tracked face once)"),
    ("brief_or_small_faces", "brief or small", f"faces seen under {BRIEF_FACE_S:g} s or "
     f"smaller than {SMALL_FACE_PX} px"),
    ("face_seconds", "face time (s)", "time in view, added over all faces: the weight of "
     "the shares and the mean valence"),
    SHARES,
    ("mean_valence_by_time", "mean valence (time-weighted)",
     f"valence ({VALENCE_NOTE}) averaged over all faces' time in view"),
    ("seconds", "analysis (s)", "how long the analysis took"),
    ("note", "note", "why a figure is missing or doubtful"),
    ("error", "error", "why the video failed"),
]  # fmt: skip
# sortKey and inOrder are plain functions so that a test can run them (tests/test_report.py).
SORT_SCRIPT = """<script>
function sortKey(text) {  // null for an empty cell, else a number or lower-case text
  if (text.trim() === "") return null;
  const n = Number(text);
  return isNaN(n) ? text.toLowerCase() : n;
}
function inOrder(x, y, dir) {  // empty cells last in either direction
  if (x === null || y === null) return (x === null) - (y === null);
  return (x > y ? 1 : x < y ? -1 : 0) * dir;
}
document.querySelectorAll("th").forEach((th, col) => th.addEventListener("click", () => {
  const body = th.closest("table").tBodies[0], rows = [...body.rows];
  const key = r => sortKey(r.cells[col].dataset.v ?? r.cells[col].innerText);
  const dir = th.dataset.dir = th.dataset.dir === "1" ? -1 : 1;
  rows.sort((a, b) => inOrder(key(a), key(b), dir));
  rows.forEach(r => body.appendChild(r));
}));
</script>"""


def overview_columns(rows: list[dict]) -> list[tuple[str, str, str]]:
    """OVERVIEW_COLUMNS with a share column for every class the rows' models have."""
    shares = [
        (
            share_column(lab),
            f"{lab} (time share)",
            f"share of all faces' time in view labelled {lab}",
        )
        for lab in share_labels(rows)
    ]
    at = OVERVIEW_COLUMNS.index(SHARES)
    return [*OVERVIEW_COLUMNS[:at], *shares, *OVERVIEW_COLUMNS[at + 1 :]]


def _link(path: str, out_dir: Path) -> str:
    """A link from out_dir to `path`, or '' when there is no such file."""
    if not path or not Path(path).is_file():
        return ""
    return Path(os.path.relpath(Path(path).resolve(), Path(out_dir).resolve())).as_posix()


@functools.lru_cache(maxsize=512)
def _small_chart(timeline_path: str, _mtime_ns: int, title: str, end: float | None) -> str:
    """A video's chart for the overview, drawn once per version of its timeline."""
    rec = read_recording(Path(timeline_path), edits=False)
    return chart_svg(rec, title, size=(480, 220), end=end, legend=False)


def _overview_cell(row: dict, key: str, out_dir: Path) -> str:
    esc = html.escape
    value = row.get(key, "")
    value = "" if value is None else value
    if key.startswith("share_") and value != "":
        shown = esc(f"{100 * float(value):.0f}%")
    elif key == "name" and (href := _link(row.get("report", ""), out_dir)):
        shown = f"<a href='{esc(href)}'>{esc(str(value))}</a>"
    else:
        shown = esc(str(value))
    return f"<td data-v='{esc(str(value))}'>{shown}</td>"


def _overview_card(row: dict, out_dir: Path) -> str:
    """The small chart of a finished video, linked to its report; a line when no faces."""
    esc = html.escape
    timeline_path = Path(row.get("timeline") or "")
    if row.get("status") not in ("ok", "truncated") or not timeline_path.is_file():
        return ""
    name, href = row["name"], _link(row.get("report", ""), out_dir)
    if str(row.get("faces", "")) == "0":
        card = f"<div class='none'>{esc(name)}: no faces found</div>"
    else:
        end = float(row["analysed_s"]) if row.get("analysed_s") not in ("", None) else None
        card = inline(_small_chart(str(timeline_path), timeline_path.stat().st_mtime_ns, name, end))
    return f"<a href='{esc(href)}'>{card}</a>" if href else card


def _made_by(rows: list[dict]) -> str:
    """'Made by fer_desktop 0.1.0, model file sha256 1a2b3c4d5e6f…' (each version and model
    file the rows with results name, so a folder analysed in several runs says when they
    differ; a failed video made nothing)."""
    made = [r for r in rows if r.get("app_version") and r.get("model_sha256")]
    if not made:  # failed or not yet analysed: nothing was made
        return ""
    versions = sorted({r["app_version"] for r in made})
    models = sorted({r["model_sha256"][:12] for r in made})
    return (
        f"Made by fer_desktop {', '.join(versions)}, "
        f"model file sha256 {', '.join(m + '…' for m in models)}."
    )


def write_overview(rows: list[dict], out_dir: Path) -> Path:
    """out_dir/overview.html: every video side by side (a small chart each, linked to its
    report) and a table that sorts by any column. Self-contained, like the per-video report;
    written whole (atomically), so it always matches the index it was made from."""
    esc = html.escape
    ordered = sorted(rows, key=lambda r: r["name"])
    columns = overview_columns(rows)
    body = [
        "<tr>" + "".join(_overview_cell(r, k, out_dir) for k, _t, _d in columns) + "</tr>"
        for r in ordered
    ]
    cards = [card for r in ordered if (card := _overview_card(r, out_dir))]
    heads = "".join(f"<th title='{esc(d)} (click to sort)'>{esc(t)}</th>" for _k, t, d in columns)
    described = "".join(f"<li><b>{esc(t)}</b>: {esc(d)}</li>" for _k, t, d in columns)
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fer_desktop overview</title>
<style>body{{font-family:sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:3px 7px}}th{{cursor:pointer;background:#f4f4f4}}
td{{max-width:30em;overflow-wrap:anywhere}}svg{{margin:4px;vertical-align:top}}.note{{color:#666;font-size:90%}}
.none{{display:inline-block;width:460px;padding:40px 10px;margin:4px;border:1px solid #ccc;
text-align:center;color:#666}}</style></head><body>
<h1>Overview: {len(rows)} videos</h1>
<p class="note">{esc(_made_by(rows))}</p>
<table><thead><tr>{heads}</tr></thead><tbody>{"".join(body)}</tbody></table>
<p class="note">Valence is {VALENCE_NOTE}. {WEIGHTING_NOTE}
The video's shares and mean valence add up every face's time in view (a face seen twice as
long counts twice as much), brief and small faces included. Empty cells sort last. Click a
video's name or chart for its report.</p>
<details class="note"><summary>The columns</summary><ul>{described}</ul></details>
<p class="note">{esc(RESPONSIBLE_USE)}</p>
<h2>Valence over time</h2><div>{"".join(cards)}</div>
{SORT_SCRIPT}</body></html>
"""
    path = out_dir / "overview.html"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return path
