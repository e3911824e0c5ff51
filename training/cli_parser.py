"""The options of `python -m training`: one subcommand each for the seed study, fitting,
shipping, evaluating and the studies, and the recipe and run options they share."""

from __future__ import annotations

import argparse
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUNS = REPO / "training" / "runs"
CHECKPOINTS = REPO / "training" / "checkpoints"


def first_stage_spec(spec: str) -> str:
    from training.recipe import parse_first_stage

    try:
        if spec:
            parse_first_stage(spec)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return spec


def recipe_options(s: argparse.ArgumentParser) -> None:
    """Options that change the recipe (and so its hash), shared by ship, fit and speed."""
    from training.recipe import RECIPES

    s.add_argument(
        "--recipe",
        choices=list(RECIPES),
        default="model_a",
        help="a named recipe of training/recipe.py, which the options below override "
        "(default model_a, the 3- and 2-class files; model_a_8class, the 8-class file; "
        "ferplus_cnn, the public FER+ CNN's network and schedule)",
    )
    s.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs")
    s.add_argument("--width", type=int, default=None, help="override the recipe's width")
    s.add_argument(
        "--first-stage",
        type=first_stage_spec,
        default=None,
        help="layers at the full 48 px before the first pooling, e.g. c16-c16 (c = plain 3x3 "
        "conv, s = separable; filters after the letter); default: the stride-2 stem",
    )
    s.add_argument("--mixup", type=float, default=None, help="mixup Beta(a, a); 0 = off")
    s.add_argument(
        "--quick",
        action="store_true",
        help="a few hundred images and one epoch: checks every step in minutes",
    )


def run_options(s: argparse.ArgumentParser) -> None:
    """Checkpointing: where a run's epochs are saved and resumed from."""
    s.add_argument(
        "--run",
        default=None,
        help="the run's name: its checkpoints go to training/checkpoints/NAME/ and a killed "
        "run given the same command continues there (default: for ship, the recipe and task, "
        "e.g. model_a_3class, model_a_2class; fit for fit; with --quick, a temporary folder)",
    )
    s.add_argument(
        "--checkpoints",
        type=Path,
        default=CHECKPOINTS,
        help="the folder of run folders (default training/checkpoints, git-ignored)",
    )
    s.add_argument(
        "--restart", action="store_true", help="discard the run's checkpoints and start over"
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m training",
        description="Train and evaluate Model A on FER2013 with an honest protocol: fit on "
        "Training, choose epochs on PublicTest, report PrivateTest, with test images that "
        "have a pixel copy in Training removed.",
    )
    p.add_argument(
        "--data",
        type=Path,
        default=None,
        help="fer2013.npz (default ../shared/data/fer2013.npz), Kaggle fer2013.csv, "
        "or a folder with train/<class>/ and test/<class>/ images",
    )
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("ship", help="train, export (float32 + int8 TFLite) and card the models")
    s.add_argument("--task", choices=["2class", "3class", "8class", "all"], default="all")
    recipe_options(s)
    run_options(s)
    s.add_argument(
        "--allow-dirty",
        action="store_true",
        help="ship from a tree with uncommitted changes (an experiment; the card says dirty)",
    )
    s.add_argument(
        "--out",
        type=Path,
        default=REPO / "models",
        help="where the int8 files and cards go, once they passed their checks (they are "
        "written to a staging folder beside it first)",
    )
    s.add_argument(
        "--float-dir",
        type=Path,
        default=None,
        help="where float32 files go (default: training/runs/float/)",
    )
    s.add_argument(
        "--reuse-fit",
        action="store_true",
        help="export from the network already fitted (training/runs/RUN_fit.keras) "
        "instead of training again",
    )
    s.add_argument(
        "--fitted",
        type=Path,
        default=None,
        help="where the fitted network is saved (default training/runs/RUN_fit.keras)",
    )
    s.add_argument(
        "--teacher",
        action="append",
        default=[],
        help="a fitted network (.keras) to distil from; repeat for an ensemble",
    )
    s.add_argument(
        "--teacher-weight",
        type=float,
        default=0.5,
        help="weight of the teachers' prediction in the targets (with --teacher)",
    )

    f = sub.add_parser(
        "fit",
        help="train (with checkpoints) and score PublicTest without exporting: a run record "
        "training/runs/fit_NAME.json and the fitted network training/runs/fit_NAME.keras",
    )
    recipe_options(f)
    run_options(f)
    f.add_argument("--fitted", type=Path, default=None, help="where the fitted network goes")

    v = sub.add_parser(
        "speed",
        help="time training batches and the int8 per-face latency of a recipe's network "
        "(untrained weights): a run record training/runs/speed_NAME.json",
    )
    recipe_options(v)
    v.add_argument("--batches", type=int, default=30, help="timed training batches")
    v.add_argument("--name", default=None, help="the record's name (default: the first stage)")
    v.add_argument(
        "--no-determinism",
        action="store_true",
        help="time without deterministic kernels (what determinism costs)",
    )

    c = sub.add_parser(
        "seed-study",
        help="reproduce the seed's MLP and CNNs A, B, C with "
        "5-fold cross-validation, and score its weights",
    )
    c.add_argument("--folds", type=int, default=5)
    c.add_argument("--models", default="mlp,cnn_a,cnn_c,cnn_b")
    c.add_argument("--quick", action="store_true", help="tiny data, one epoch")
    c.add_argument(
        "--only-weights",
        action="store_true",
        help="only score the seed's trained weights (opt_a_trained.h5)",
    )

    sub.add_parser(
        "crop-study",
        help="measure the crop margin and eye alignment on Yale "
        "faces and FER2013 PublicTest, with the shipped models",
    )
    e = sub.add_parser(
        "evaluate",
        help="evaluate the shipped int8 models afresh and check "
        "their cards (with --update-latency: re-time them)",
    )
    e.add_argument(
        "--update-latency",
        action="store_true",
        help="re-measure the per-face latency (do it on an idle machine)",
    )
    k = sub.add_parser(
        "curve-point",
        help="export and score an ensemble of fitted networks (optionally mirror-averaged) "
        "as a point of the accuracy-latency curve (training/runs/curve_NAME_*.json)",
    )
    k.add_argument("--fitted", type=Path, action="append", required=True)
    k.add_argument("--mirror", action="store_true", help="average each face with its mirror")
    k.add_argument("--name", required=True)
    a = sub.add_parser(
        "anchor-curve",
        help="a fit run's 8-class PublicTest accuracy by epoch beside the public FER+ CNN's "
        "published curve (training/runs/anchor_curve_NAME.json; works while the run trains)",
    )
    a.add_argument("--run", required=True, help="the fit run's name (its checkpoint folder)")
    a.add_argument("--checkpoints", type=Path, default=CHECKPOINTS)
    sub.add_parser(
        "mirror-study",
        help="score the shipped int8 files on PublicTest with and without averaging each "
        "face with its mirror, and time both (training/runs/mirror_study_shipped.json)",
    )
    sub.add_parser("report", help="write training/REPORT.md from the runs and model cards")
    return p
