"""python -m training: reproduce the seed study and train the Model A files we ship."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parent.parent
RUNS = REPO / "training" / "runs"
CHECKPOINTS = REPO / "training" / "checkpoints"


def _first_stage(spec: str) -> str:
    from training.recipe import parse_first_stage

    try:
        if spec:
            parse_first_stage(spec)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return spec


def _recipe_options(s: argparse.ArgumentParser) -> None:
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
        type=_first_stage,
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


def _run_options(s: argparse.ArgumentParser) -> None:
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


def _parser() -> argparse.ArgumentParser:
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
    _recipe_options(s)
    _run_options(s)
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
    _recipe_options(f)
    _run_options(f)
    f.add_argument("--fitted", type=Path, default=None, help="where the fitted network goes")

    v = sub.add_parser(
        "speed",
        help="time training batches and the int8 per-face latency of a recipe's network "
        "(untrained weights): a run record training/runs/speed_NAME.json",
    )
    _recipe_options(v)
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


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from training.checkpoint import CheckpointError
    from training.data import DatasetError
    from training.provenance import DirtyTree
    from training.staging import ShipCheckFailed

    try:
        if args.command == "ship":
            return _ship(args, argv)
        if args.command == "fit":
            return _fit(args, argv)
        if args.command == "speed":
            from training import speed

            name = _speed_name(args)
            speed.run(
                args.data,
                _recipe(args),
                args.batches,
                name,
                RUNS,
                _command(argv),
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
            return _evaluate(args)
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

            out = anchor.write_curve(args.checkpoints / args.run, RUNS, _command(argv))
            print(f"curve record {out}")
            return 0
        if args.command == "mirror-study":
            from training import mirror_study

            out, record = mirror_study.run(_data(args), REPO / "models", RUNS, _command(argv))
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


def _evaluate(args) -> int:
    """Fresh evaluation of models/*.tflite; exit 1 when a card disagrees with its file."""
    from training import data as D
    from training import evaluate as ev

    dataset = D.load(args.data)
    status = 0
    for name in D.SHIPPED_TASKS:
        path = REPO / "models" / f"model_a_{name}_int8.tflite"
        if not path.exists():
            print(f"{path.name}: not shipped")
            continue
        card_path = path.with_suffix(".json")
        card = json.loads(card_path.read_text())
        fresh = ev.strip_predictions(
            ev.evaluate(ev.litert_predictor(path), D.make_task(dataset, name))
        )
        same = fresh == card["metrics_int8"]
        status |= 0 if same else 1
        acc = fresh["private_dedup"]["accuracy"]
        print(
            f"{path.name}: PrivateTest (dedup) {acc:.4f}; card {'matches' if same else 'DIFFERS'}"
        )
        if args.update_latency:
            card["latency_int8_one_face_one_thread"] = ev.latency_ms(path)
            card_path.write_text(json.dumps(card, indent=2) + "\n")
            print(f"  latency {card['latency_int8_one_face_one_thread']}")
    if args.update_latency:  # the curve points too, on the same quiet machine
        for card_path in sorted(RUNS.glob("curve_*_*class.json")):
            card = json.loads(card_path.read_text())
            path = REPO / card["file"]
            if not path.exists():
                print(f"{card_path.name}: {card['file']} not here; latency kept")
                continue
            card["latency_int8_one_face_one_thread"] = ev.latency_ms(path)
            card_path.write_text(json.dumps(card, indent=2) + "\n")
            print(f"{card_path.name}: latency {card['latency_int8_one_face_one_thread']}")
    return status


def _command(argv: list[str] | None) -> str:
    """The exact command line, for the run records and the cards."""
    if argv is None:
        return shlex.join(getattr(sys, "orig_argv", sys.argv))
    return shlex.join(["python", "-m", "training", *argv])


def _recipe(args):
    from training.recipe import named_recipe

    recipe = named_recipe(args.recipe)
    if args.quick:
        recipe.epochs, recipe.width = 1, 8
    if args.epochs:
        recipe.epochs = args.epochs
    if args.width:
        recipe.width = args.width
    if args.first_stage is not None:
        recipe.first_stage = args.first_stage
    if args.mixup is not None:
        recipe.mixup_alpha = args.mixup
    return recipe


def _speed_name(args) -> str:
    name = (args.first_stage or "stem") + (f"_w{args.width}" if args.width else "")
    return args.name or name + ("_nondeterministic" if args.no_determinism else "")


def _run_folder(args, default: str):
    """The run's name and checkpoint folder. --quick without --run checkpoints into a
    temporary folder, so a quick check never resumes (or refuses) an older one."""
    if args.quick and args.run is None:
        import tempfile

        return default + "-quick", Path(tempfile.mkdtemp(prefix="fer_quick_checkpoints_"))
    name = args.run or default
    folder = args.checkpoints / name
    if args.restart:
        from training.checkpoint import clear

        clear(folder)
    return name, folder


def _data(args):
    from training import data as D

    return D.load(args.data, expect_sha256=D.KNOWN_SHA256 if args.data is None else None)


def _check_checkpoints(folder: Path, recipe, dataset, quick: bool) -> None:
    """Refuse a checkpoint of another recipe or other data now, before the heavy imports."""
    from training import checkpoint as ckpt
    from training.recipe import data_key_of, recipe_hash

    state = ckpt.latest(folder, lambda m: print(m, file=sys.stderr))
    if state is not None:
        ckpt.check_compatible(
            state, recipe_hash(recipe), data_key_of(dataset.sha256, quick), folder
        )


def _ship(args, argv) -> int:
    from training.provenance import provenance

    recipe = _recipe(args)
    if recipe.architecture != "model_a":
        print(
            f"error: ship exports Model A networks; the {args.recipe} recipe trains with "
            f"`python -m training fit --recipe {args.recipe}`",
            file=sys.stderr,
        )
        return 2
    origin = provenance(REPO, allow_dirty=args.allow_dirty or args.quick, command=_command(argv))
    dataset = _data(args)
    from training.data import SHIPPED_TASKS

    tasks = list(SHIPPED_TASKS) if args.task == "all" else [args.task]
    float_dir = args.float_dir or RUNS / "float"
    if args.teacher:
        recipe.teachers = tuple(str(Path(t).resolve().relative_to(REPO)) for t in args.teacher)
        recipe.teacher_weight = args.teacher_weight
    name, folder = _run_folder(args, _ship_run_name(args.recipe, args.task))
    if not args.reuse_fit:
        _check_checkpoints(folder, recipe, dataset, args.quick)
    from training.ship import ship

    ship(
        dataset,
        recipe,
        args.out,
        float_dir,
        tasks,
        latency_runs=50 if args.quick else 2000,
        quick=args.quick,
        fitted=args.fitted or (None if args.quick else RUNS / f"{name}_fit.keras"),
        reuse_fit=args.reuse_fit,
        checkpoints=folder,
        origin=origin,
    )
    return 0


def _ship_run_name(recipe: str, task: str) -> str:
    """A ship's default run (its checkpoint folder and fitted network): one per recipe and
    task, so shipping one task never resumes, reuses or restarts another's run."""
    return recipe if task == "all" else f"{recipe}_{task}"


def _fit(args, argv) -> int:
    """Train with checkpoints, save the network and a run record scored on PublicTest."""
    from dataclasses import asdict

    from training.provenance import provenance

    origin = provenance(REPO, allow_dirty=True, command=_command(argv))
    dataset = _data(args)
    recipe = _recipe(args)
    name, folder = _run_folder(args, "fit")
    _check_checkpoints(folder, recipe, dataset, args.quick)
    from training.selection import ANCHOR_SET, TRACKED_TASKS, Validation
    from training.train import fit, prepare

    votes, tasks, data_key = prepare(dataset, recipe, args.quick, TRACKED_TASKS)
    val = Validation(tasks)
    model, info = fit(votes, val, recipe, None, folder, data_key, origin)
    fitted = args.fitted or RUNS / f"fit_{name}.keras"
    fitted.parent.mkdir(parents=True, exist_ok=True)
    model.save(fitted)
    scores = val.scores(val.logits(model))
    record = {
        "command": origin["command"],
        "git_commit": origin["git_commit"],
        "git_dirty": origin["git_dirty"],
        "architecture": model.name,
        "parameters": int(model.count_params()),
        "recipe": asdict(recipe),
        "data_key": data_key,
        "public_dedup_best": {
            n: {"accuracy": m["accuracy"], "balanced_accuracy": m["balanced_accuracy"]}
            | ({"sad_recall": m["recall"]["sad"]} if "sad" in m.get("recall", {}) else {})
            for n, m in scores.items()
            if n != ANCHOR_SET  # its PublicTest keeps Training's copies
        },
        "training": info,
        "fitted": str(fitted),
    }
    out = RUNS / f"fit_{name}.json" if args.fitted is None else fitted.with_suffix(".json")
    out.write_text(json.dumps(record, indent=1) + "\n")
    print(f"run record {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
