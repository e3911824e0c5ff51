"""What each subcommand runs: one handler per command, each loading its module when run."""

from __future__ import annotations


def settings_of(args):
    """The Settings the options (and a config file) give, validated there: one line naming
    the option."""
    import dataclasses

    from fer_desktop.settings import Settings

    fields = [f.name for f in dataclasses.fields(Settings)]
    return Settings.of(**{name: getattr(args, name) for name in fields if hasattr(args, name)})


def cmd_gui(args) -> int:
    from fer_desktop.gui.app import run

    return run(args)


def cmd_review(args) -> int:
    from fer_desktop.gui.review_window import run

    return run(args)


def cmd_predict(args) -> int:
    from fer_desktop.commands.predict import run

    return run(args, settings_of(args))


def cmd_analyze(args) -> int:
    from fer_desktop.commands.analyze import run

    return run(args, settings_of(args))


def cmd_live(args) -> int:
    from fer_desktop.commands.live import run

    return run(args, settings_of(args))


def cmd_report(args) -> int:
    from fer_desktop.commands.report import run

    return run(args)


def cmd_study(args) -> int:
    from fer_desktop.commands.study import run

    return run(args)


def cmd_models(args) -> int:
    from fer_desktop.commands.models import run

    return run(args)


def cmd_self_test(args) -> int:
    from fer_desktop.commands.self_test import run

    return run(args)


COMMANDS = {
    "gui": cmd_gui,
    "review": cmd_review,
    "predict": cmd_predict,
    "analyze": cmd_analyze,
    "live": cmd_live,
    "report": cmd_report,
    "study": cmd_study,
    "models": cmd_models,
    "self-test": cmd_self_test,
}
