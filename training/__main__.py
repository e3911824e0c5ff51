"""python -m training: reproduce the seed study and train the Model A files we ship.

The options: cli_parser.py; evaluate, ship and fit: cli_runs.py."""

from __future__ import annotations

import os
import sys

from training.cli_parser import REPO, RUNS, parser
from training.cli_runs import (
    command_line,
    data_from,
    evaluate,
    fit,
    recipe_from,
    ship,
    speed_name,
)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before any TensorFlow import (lazy)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from training.checkpoint import CheckpointError
    from training.data import DatasetError
    from training.provenance import DirtyTree
    from training.staging import ShipCheckFailed

    try:
        if args.command == "ship":
            return ship(args, argv)
        if args.command == "fit":
            return fit(args, argv)
        if args.command == "speed":
            from training import speed

            name = speed_name(args)
            speed.run(
                args.data,
                recipe_from(args),
                args.batches,
                name,
                RUNS,
                command_line(argv),
                determinism=not args.no_determinism,
            )
            return 0
        if args.command == "seed-study":
            from training import crossval

            if args.only_weights:
                crossval.rescore_original_weights(args.data, RUNS)
            else:
                crossval.run(args.data, args.folds, args.models.split(","), args.quick, RUNS)
            return 0
        if args.command == "evaluate":
            return evaluate(args)
        if args.command == "crop-study":
            from training import crop_study

            RUNS.mkdir(parents=True, exist_ok=True)
            crop_study.run(args.data, RUNS / "crop_study.json")
            print((RUNS / "crop_study.json").read_text())
            return 0
        if args.command == "curve-point":
            from training import curve
            from training import data as D

            curve.run(D.load(args.data), args.fitted, args.mirror, args.name, RUNS)
            return 0
        if args.command == "anchor-curve":
            from training import anchor

            out = anchor.write_curve(args.checkpoints / args.run, RUNS, command_line(argv))
            print(f"curve record {out}")
            return 0
        if args.command == "mirror-study":
            from training import mirror_study

            out, record = mirror_study.run(
                data_from(args), REPO / "models", RUNS, command_line(argv)
            )
            print(f"mirror study {out}: kept {record['kept']}")
            return 0
        if args.command == "report":
            from training import report

            print(report.write(REPO / "models", RUNS, REPO / "training" / "REPORT.md"))
            return 0
    except (DatasetError, CheckpointError, DirtyTree, ShipCheckFailed) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
