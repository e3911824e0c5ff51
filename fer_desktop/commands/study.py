"""fer-desktop study: a folder of recordings and analysed videos read as one study (see
`fer_desktop.study`), written as tables, event-locked charts and study.html.

stderr says how participants and sessions were assigned, and names every file that could not
be read (or was read without review's edits), and every marker outside its recording; those
files are left out, the rest reported. `--measure` adds measure columns (eyes, head, AU
proxies: `fer_desktop.study_measures.chosen_columns`) to the event-locked analysis.
"""

from __future__ import annotations

import sys

from fer_desktop.study import load_study
from fer_desktop.study_measures import chosen_columns
from fer_desktop.study_report import write_study


def run(args) -> int:
    study = load_study(args.folder, args.group_by)
    extra = chosen_columns(study.faces, getattr(args, "measure", None))
    print(f"fer-desktop: participants and sessions from {study.rule}", file=sys.stderr)
    for problem in study.problems:
        print(f"fer-desktop: {problem}", file=sys.stderr)
    for ev in study.events[study.events["kind"] == "outside"].itertuples(index=False):
        print(
            f"fer-desktop: {ev.source}: marker {ev.name!r} at {ev.t_source:.2f} s is outside "
            "the recording (listed in study.html, used nowhere)",
            file=sys.stderr,
        )
    page = write_study(study, args.out, args.window, args.baseline, extra)
    print(f"{len(study.sessions)} files, {len(study.participants)} participants -> {page}")
    return 0
