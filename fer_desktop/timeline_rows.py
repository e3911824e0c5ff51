"""A timeline's rows as they read back: a file's text parsed (`read_timeline`), and each row a
writer writes in the form reading it back gives (`plain`, `row_from_csv`), so that a writer can
keep in memory what its file will read back as (`fer_desktop.timeline`, `keep=True`).

Read back, a timeline is one dict: header, frames, faces, markers, gaps, settings, seeks,
calibrations, retentions and summary (None: the file was cut short).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from fer_desktop import measure_columns

STANDARD_LABELS = ["happy", "neutral", "sad"]  # columns kept for any shipped model
# seek: files; alert and blink: live --alert (alerts.py)
EVENT_KINDS = ("marker", "gap", "setting", "seek", "calibration", "retention", "alert", "blink")
JSON_NOTES = ("setting", "seek", "calibration", "retention", "alert", "blink")  # CSV note: fields


def column_labels(labels: list[str]) -> list[str]:
    """Probability columns: the standard labels, then any others the model has."""
    return STANDARD_LABELS + [lab for lab in dict.fromkeys(labels) if lab not in STANDARD_LABELS]


def empty_rows() -> dict:
    """A timeline with no rows yet, as `parse_timeline` fills it."""
    return {
        "header": None,
        "frames": [],
        "faces": [],
        "markers": [],
        "gaps": [],
        "settings": [],
        "seeks": [],
        "calibrations": [],
        "retentions": [],  # old parts a rotating recording deleted (live --keep-days/-gb)
        "alerts": [],  # live --alert: each alert's start and end
        "blinks": [],
        "summary": None,
    }


def read_timeline(path: Path) -> dict:
    """Parse a timeline back: header, frames, faces, markers, gaps, settings, seeks,
    calibrations, summary.

    Tolerates a file cut short by a crash (a partial last line is ignored).
    """
    path = Path(path)
    text = path.read_bytes().decode("utf-8")  # as written: a note's "\r\n" stays "\r\n"
    return parse_timeline(text, jsonl=path.suffix == ".jsonl")


def parse_timeline(text: str, jsonl: bool) -> dict:
    """A timeline's text (JSONL when `jsonl`, else CSV) parsed as `read_timeline` gives it."""
    out = empty_rows()
    if jsonl:
        for line in text.splitlines():
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue  # the one line a crash may have cut
            file_row(out, obj)
        return out
    first, _, body = text.partition("\n")
    if first.startswith("# "):
        out["header"] = json.loads(first[2:])
    if body and not body.endswith("\n"):
        body = body[: body.rfind("\n") + 1]  # cut short mid-line
    labels = probability_columns(out["header"] or {})
    for row in csv.DictReader(io.StringIO(body)):
        file_row(out, row_from_csv(row, labels))
    return out


def probability_columns(header: dict) -> list[str]:
    """The labels a CSV timeline has p_* columns for: its header's columns (wider than its
    labels when it kept room for other models), else its labels'."""
    cols = header.get("columns")
    if not cols:
        return column_labels(header.get("labels", []))
    return [c[2:] for c in cols if c.startswith("p_") and not c.endswith(("_smooth", "_cal"))]


def plain(value: Any) -> Any:
    """`value` as JSON gives it back: tuples as lists, keys as text (a JSONL row read back)."""
    if isinstance(value, dict):
        return {_json_key(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _json_key(key: Any) -> str:
    if isinstance(key, str):
        return key
    return json.dumps(key)  # 1 -> "1", True -> "true", None -> "null"


def csv_cells(row: list[Any]) -> list[str]:
    """A CSV row's cells as the file holds them (the csv module writes None as '')."""
    return ["" if cell is None else str(cell) for cell in row]


def _number(value: str) -> float | None:
    return float(value) if value not in ("", None) else None


def row_from_csv(row: dict, labels: list[str]) -> dict:
    """One CSV row (column -> text) as a JSONL row of the same timeline; `labels` are those
    it has p_* columns for."""
    kind = row.get("kind")
    common = {"t_source": _number(row["t_source"]), "t_wall": row["t_wall"]}
    if kind == "frame":
        return {"type": "frame", **common, "frame": int(row["frame"]), "faces": int(row["note"])}
    if kind == "face":
        return {
            "type": "face",
            **common,
            "frame": int(row["frame"]),
            "face_id": int(row["face_id"]),
            "box": [float(row[k]) for k in "xywh"],
            "score": float(row["score"]),
            "probs": {lab: float(row[f"p_{lab}"]) for lab in labels if row[f"p_{lab}"]},
            "smooth": {
                lab: float(row[f"p_{lab}_smooth"]) for lab in labels if row[f"p_{lab}_smooth"]
            },
            "calibrated": {
                lab: float(row[f"p_{lab}_cal"]) for lab in labels if row.get(f"p_{lab}_cal")
            }
            or None,
            "cal": row.get("cal") or "",
            "label": row["label"],
            "valence": float(row["valence"]),
            **({} if (mesh := measure_columns.nested(row)) is None else {"mesh": mesh}),
        }
    if kind == "summary":
        return json.loads(row["note"])
    if kind in JSON_NOTES:
        return {"type": "event", "event": kind, **common, **json.loads(row["note"] or "{}")}
    out = {"type": "event", "event": kind, **common, "note": row["note"]}
    if kind == "marker" and row.get("label"):
        out["source"] = row["label"]
    return out


def file_row(out: dict, obj: dict) -> None:
    """Put one row read back (a JSONL object) where it belongs in `out`."""
    kind = obj.get("type")
    if kind in ("header", "summary"):
        out[kind] = obj
    elif kind == "frame":
        out["frames"].append(obj)
    elif kind == "face":
        obj.setdefault("cal", "")  # files before schema 3
        out["faces"].append(obj)
    elif kind == "event" and obj.get("event") in EVENT_KINDS:
        out[obj["event"] + "s"].append(obj)
