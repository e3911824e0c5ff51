"""training/staging.py: `ship` moves files into models/ only after their checks pass."""

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO
from training import staging

SHIPPED = REPO / "models" / "model_a_2class_int8.tflite"


def _stage(out_dir: Path) -> tuple[Path, dict[str, tuple[Path, dict]]]:
    """The shipped 2-class file and card, copied into a fresh staging folder."""
    if not SHIPPED.exists():
        pytest.skip("the shipped 2-class model is not in models/")
    folder = staging.new_folder(out_dir)
    path = folder / SHIPPED.name
    shutil.copy(SHIPPED, path)
    shutil.copy(SHIPPED.with_suffix(".json"), path.with_suffix(".json"))
    return folder, {"2class": (path, json.loads(path.with_suffix(".json").read_text()))}


def test_a_good_file_passes_and_moves_in(tmp_path):
    out = tmp_path / "models"
    folder, staged = _stage(out)
    assert folder.parent == tmp_path and folder.name.startswith(".models-staging-")
    staging.check_all(staged, folder, budgets=True)
    moved = staging.move_in(staged, folder, out)
    assert sorted(p.name for p in moved) == [SHIPPED.with_suffix(".json").name, SHIPPED.name]
    assert (out / SHIPPED.name).read_bytes() == SHIPPED.read_bytes()
    assert not folder.exists()


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"labels": ["sad", "happy"]}, "the app reads labels"),
        ({"file_sha256": "0" * 64}, "file_sha256"),
        ({"int8_float32_label_agreement": {"private_dedup": 0.985}}, "98.50%, under the 99%"),
    ],
)
def test_a_failed_check_leaves_the_destination_untouched(tmp_path, change, said):
    out = tmp_path / "models"
    out.mkdir()
    (out / SHIPPED.name).write_bytes(b"the previous model")
    folder, staged = _stage(out)
    path, card = staged["2class"]
    staged["2class"] = (path, card | change)
    with pytest.raises(staging.ShipCheckFailed, match=said) as failed:
        staging.check_all(staged, folder, budgets=True)
    assert "\n" not in str(failed.value) and str(folder) in str(failed.value)
    assert (out / SHIPPED.name).read_bytes() == b"the previous model"
    assert sorted(p.name for p in out.iterdir()) == [SHIPPED.name]
    assert path.exists()  # kept in staging for a look


def test_a_file_the_app_cannot_load_is_refused(tmp_path):
    folder, staged = _stage(tmp_path / "models")
    path, _card = staged["2class"]
    path.write_bytes(b"not a model")
    with pytest.raises(staging.ShipCheckFailed, match="the app cannot load it"):
        staging.check_all(staged, folder, budgets=False)
