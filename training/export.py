"""Keras model -> float32 and full-integer int8 TFLite files."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import tensorflow as tf


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


def to_int8(model, path: Path, representative: np.ndarray) -> Path:
    """Full-integer quantization: uint8 pixels in (scale 1, zero point 0), uint8 probs out."""
    converter = _converter(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    # Two calibration images pin the input range to exactly 0..255.
    anchors = np.stack([np.zeros((48, 48), np.uint8), np.full((48, 48), 255, np.uint8)])
    calib = np.concatenate([anchors, representative]).astype(np.float32)[..., None]

    def gen():
        for img in calib:
            yield [img[None]]

    converter.representative_dataset = gen
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.uint8
    converter.inference_output_type = tf.uint8
    path.write_bytes(converter.convert())
    return path


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
