"""The heavier commands of `python -m training` (evaluate, ship, fit) and how the options
become a recipe, a run's name and checkpoint folder, and the data; TensorFlow is imported
only once the options are checked."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from training.cli_parser import REPO, RUNS


def evaluate(args) -> int:
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


def command_line(argv: list[str] | None) -> str:
    """The exact command line, for the run records and the cards."""
    if argv is None:
        return shlex.join(getattr(sys, "orig_argv", sys.argv))
    return shlex.join(["python", "-m", "training", *argv])


def recipe_from(args):
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


def speed_name(args) -> str:
    name = (args.first_stage or "stem") + (f"_w{args.width}" if args.width else "")
    return args.name or name + ("_nondeterministic" if args.no_determinism else "")


def run_folder(args, default: str):
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


def data_from(args):
    from training import data as D

    return D.load(args.data, expect_sha256=D.KNOWN_SHA256 if args.data is None else None)


def check_checkpoints(folder: Path, recipe, dataset, quick: bool) -> None:
    """Refuse a checkpoint of another recipe or other data now, before the heavy imports."""
    from training import checkpoint as ckpt
    from training.recipe import data_key_of, recipe_hash

    state = ckpt.latest(folder, lambda m: print(m, file=sys.stderr))
    if state is not None:
        ckpt.check_compatible(
            state, recipe_hash(recipe), data_key_of(dataset.sha256, quick), folder
        )


def ship(args, argv) -> int:
    from training.provenance import provenance

    recipe = recipe_from(args)
    if recipe.architecture != "model_a":
        print(
            f"error: ship exports Model A networks; the {args.recipe} recipe trains with "
            f"`python -m training fit --recipe {args.recipe}`",
            file=sys.stderr,
        )
        return 2
    origin = provenance(
        REPO, allow_dirty=args.allow_dirty or args.quick, command=command_line(argv)
    )
    dataset = data_from(args)
    from training.data import SHIPPED_TASKS

    tasks = list(SHIPPED_TASKS) if args.task == "all" else [args.task]
    float_dir = args.float_dir or RUNS / "float"
    if args.teacher:
        recipe.teachers = tuple(str(Path(t).resolve().relative_to(REPO)) for t in args.teacher)
        recipe.teacher_weight = args.teacher_weight
    name, folder = run_folder(args, ship_run_name(args.recipe, args.task))
    if not args.reuse_fit:
        check_checkpoints(folder, recipe, dataset, args.quick)
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


def ship_run_name(recipe: str, task: str) -> str:
    """A ship's default run (its checkpoint folder and fitted network): one per recipe and
    task, so shipping one task never resumes, reuses or restarts another's run."""
    return recipe if task == "all" else f"{recipe}_{task}"


def fit(args, argv) -> int:
    """Train with checkpoints, save the network and a run record scored on PublicTest."""
    from dataclasses import asdict

    from training.provenance import provenance

    origin = provenance(REPO, allow_dirty=True, command=command_line(argv))
    dataset = data_from(args)
    recipe = recipe_from(args)
    name, folder = run_folder(args, "fit")
    check_checkpoints(folder, recipe, dataset, args.quick)
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
