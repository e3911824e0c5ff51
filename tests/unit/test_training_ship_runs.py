"""training ship: each recipe and task trains in a run (checkpoint folder) of its own."""

from training.cli_runs import ship_run_name as _ship_run_name


def test_each_task_has_its_own_run():
    names = {_ship_run_name("model_a", task) for task in ("3class", "2class", "8class")}
    assert names == {"model_a_3class", "model_a_2class", "model_a_8class"}


def test_recipes_never_share_a_run():
    assert _ship_run_name("model_a", "all") == "model_a"
    assert _ship_run_name("model_a_8class", "8class") == "model_a_8class_8class"
    assert _ship_run_name("model_a", "8class") != _ship_run_name("model_a_8class", "8class")
