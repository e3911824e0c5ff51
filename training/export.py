"""Keras model -> float32 TFLite, and the shipped int8 TFLite (first stage kept in float32)."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import numpy as np
import tensorflow as tf

# Tensors computed before this op stay in float32 in the "int8" export (see to_int8).
FLOAT_UNTIL_OP = "MAX_POOL_2D"
QUANTIZATION = (
    "int8 weights and activations (post-training quantization), except the first stage (the "
    "stride-2 stem and the separable blocks at 24 px, before the first max-pooling), which "
    "runs in float32; float32 pixels in, float32 probabilities out"
)


def float_pools_for(first_stage: str = "") -> int:
    """How many max-poolings the float32 part of the int8 export runs through.

    The stem network: up to the first (the stem and the 24 px blocks). A full-resolution first
    stage: up to the third (the layers at 48, 24 and 12 px), chosen on PublicTest: float32 up
    to the first, second or third pooling gave int8/float32 label agreement 98.4%, 98.8% and
    99.1% (3-class), 97.7%, 98.6% and 98.6% (8-class) for the c16-c16 network
    (training/runs/history.md)."""
    return 3 if first_stage else 1


def quantization_text(first_stage: str = "") -> str:
    """The card's quantization line for a network with this first stage ("" = the stem)."""
    if not first_stage:
        return QUANTIZATION
    return (
        "int8 weights and activations (post-training quantization) in the last stage (6 px) "
        f"and the head, where most weights are; the layers at 48 px ({first_stage}), 24 px and "
        "12 px run in float32; float32 pixels in, float32 probabilities out"
    )


def _converter(model) -> tf.lite.TFLiteConverter:
    """A converter over a SavedModel export of `model` (variables frozen as constants)."""
    tmp = Path(tempfile.mkdtemp(prefix="model_a_export_"))
    spec = tf.TensorSpec([None, 48, 48, 1], tf.float32, name="face")
    model.export(str(tmp), format="tf_saved_model", input_signature=[spec], verbose=False)
    return tf.lite.TFLiteConverter.from_saved_model(str(tmp))


def to_float32(model, path: Path) -> Path:
    converter = _converter(model)
    path.write_bytes(converter.convert())
    return path


def to_int8(model, path: Path, representative: np.ndarray, float_pools: int = 1) -> Path:
    """int8 weights and activations, except the first stage (every op before the first
    max-pooling), which stays float32; float32 pixels (0..255) in, float32 probabilities out.

    Fully int8, the shipped network gave float32's label on only 98.6% of faces: every layer's
    rounding error is the ideal uniform one, but errors made early grow through the network.
    Keeping the stem and the 24 px blocks in float32 (6% of the weights) lifts agreement above
    99% at the same speed; a float32 head or last stage does not (training/REPORT.md).
    `float_pools`: float32 up to the n-th max-pooling (2 for a full-resolution first stage,
    whose first pooling comes before the 24 px blocks: see `float_pools_for`).
    """
    calib = representative.astype(np.float32)[..., None]

    def images(limit: int | None = None):
        return lambda: ([img[None]] for img in calib[:limit])

    converter = _converter(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = images()
    probe = tf.lite.experimental.QuantizationDebugger(converter=converter, debug_dataset=images(8))
    first = _tensors_before(probe, FLOAT_UNTIL_OP, float_pools)
    debugger = tf.lite.experimental.QuantizationDebugger(
        converter=converter,
        debug_dataset=images(8),
        debug_options=tf.lite.experimental.QuantizationDebugOptions(
            denylisted_nodes=first, fully_quantize=False
        ),
    )
    path.write_bytes(debugger.get_nondebug_quantized_model())
    return path


def _tensors_before(debugger, op_name: str, nth: int = 1) -> list[str]:
    """Output tensors of the quantized ops that run before the nth `op_name`, in order."""
    debugger.run()
    out = io.StringIO()
    debugger.layer_statistics_dump(out)
    names, seen = [], 0
    for row in csv.DictReader(io.StringIO(out.getvalue())):
        if row["op_name"] == op_name:
            seen += 1
            if seen == nth:
                return names
        names.append(row["tensor_name"])
    raise ValueError(f"the network has fewer than {nth} {op_name} ops")


def tensor_details(path: Path) -> dict:
    """Input/output tensors of a TFLite file with their quantization, for the model card."""
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(path))

    def describe(d: dict) -> dict:
        scale, zero = d["quantization"]
        return {
            "name": d["name"],
            "shape": [int(s) for s in d["shape_signature"]],
            "dtype": np.dtype(d["dtype"]).name,
            "quantization": {"scale": float(scale), "zero_point": int(zero)},
        }

    return {
        "input": describe(interp.get_input_details()[0]),
        "output": describe(interp.get_output_details()[0]),
    }
