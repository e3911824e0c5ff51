"""Many videos: inputs expanded, unique output names, a process pool, resume and an index.

`analyze` hands each video to `analyze_one` (one session per video), in this process or in a
pool of worker processes that each own their detector and model (or on a Dask cluster).
Results are the same either way: every video starts from a fresh detector and tracker.
`DIR/index.csv` holds one row per video and decides what a second run redoes.

One idea per module:
- `inputs`: files, folders and globs -> videos, and their unique output names;
- `job`: one video -> its timeline, report and index row;
- `pool`: the jobs here or on a pool of worker processes, Ctrl-C included;
- `index`: DIR/index.csv, resume, and results made with other settings;
- `collector`: a job run into memory on a cluster worker, written on the client;
- `cluster`: the jobs on a Dask cluster.
"""

from fer_desktop.batch.cluster import run_on_dask
from fer_desktop.batch.collector import analyze_collected
from fer_desktop.batch.index import FINISHED, Index
from fer_desktop.batch.inputs import expand_inputs, output_names
from fer_desktop.batch.job import (
    Job,
    analyze_one,
    file_session,
    timeline_meta,
    write_job_report,
)
from fer_desktop.batch.pool import run_jobs

__all__ = [
    "FINISHED",
    "Index",
    "Job",
    "analyze_collected",
    "analyze_one",
    "expand_inputs",
    "file_session",
    "output_names",
    "run_jobs",
    "run_on_dask",
    "timeline_meta",
    "write_job_report",
]
