"""A 30-session study read and reported: `load_study` and `write_study` timed (median of 3)
with the process's peak memory, the machine and its load.

The shared clips are analysed once; 15 participants x 2 sessions are copies of their
timelines (the talking head 2 of 3 times, the crowd clip the rest), each with two markers
("boss appears" and "level end") at times of its own in review's sidecar.
"""

from __future__ import annotations

import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.common import machine, rss_mb, shared_video
from fer_desktop.api import analyze_file
from fer_desktop.sidecar import Sidecar, SidecarMarker, save
from fer_desktop.study import load_study
from fer_desktop.study_report import write_study

PARTICIPANTS, SESSIONS, RUNS = 15, 2, 3


def make_study(root: Path, clips: list[Path]) -> None:
    for k in range(PARTICIPANTS * SESSIONS):
        folder = root / f"P{k // SESSIONS + 1:02d}" / f"day{k % SESSIONS + 1}"
        folder.mkdir(parents=True)
        clip = clips[1] if k % 3 == 2 else clips[0]
        timeline = folder / clip.name
        shutil.copy(clip, timeline)
        boss = 1.5 + (k * 0.37) % 2.0
        save(timeline, Sidecar(markers=[SidecarMarker(boss, "boss appears"),
                                        SidecarMarker(boss + 1.5, "level end")]))  # fmt: skip


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench_study_") as tmp:
        tmp = Path(tmp)
        clips = []
        for name in ("talking_head_512.mp4", "crowd_1080p.mp4"):
            clips.append(tmp / f"{Path(name).stem}.csv")
            analyze_file(shared_video(name), timeline=clips[-1])
        make_study(tmp / "study", clips)
        rss0 = rss_mb()
        read_s, write_s = [], []
        for run in range(RUNS):
            t0 = time.perf_counter()
            study = load_study(tmp / "study")
            t1 = time.perf_counter()
            write_study(study, tmp / f"out{run}")
            read_s.append(t1 - t0)
            write_s.append(time.perf_counter() - t1)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        people = study.faces["participant"].nunique()
        print(f"study: {len(study.sessions)} sessions, {people} participants, "
              f"{len(study.faces)} face rows, {len(study.events)} events")  # fmt: skip
        print(f"read (load_study):    median {statistics.median(read_s):.2f} s of {RUNS}")
        print(f"report (write_study): median {statistics.median(write_s):.2f} s of {RUNS}")
        print(f"memory: RSS {rss0:.0f} MB before, {rss_mb():.0f} MB after, peak {peak:.0f} MB")
        print(machine())


if __name__ == "__main__":
    main()
