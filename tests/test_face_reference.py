"""The shipped head-pose reference (models/face_reference_mesh.npy) is what its builder makes
from the two PyPI portraits: derived, reproducible, and from no data set."""

from __future__ import annotations

import numpy as np
import pytest

from fer_desktop.measures import reference_mesh


def test_the_shipped_reference_is_rebuilt_from_the_pypi_portraits():
    pytest.importorskip("skimage", reason="the astronaut portrait ships in scikit-image")
    from training.face_reference_mesh import meshes_of, portraits, reference

    rebuilt = reference(list(meshes_of(portraits()).values()))
    assert np.allclose(rebuilt, reference_mesh(), atol=1e-4)
