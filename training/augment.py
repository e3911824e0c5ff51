"""Batched training augmentation: one affine warp per batch, light changes, random erasing.

Everything runs as a handful of TensorFlow ops on a whole batch (one
`ImageProjectiveTransformV3` call for flip, rotation, zoom and shift together), so the input
pipeline costs little next to the network's own forward and backward pass.

Given a `seed` (a [2] integer tensor), every random draw is a stateless function of it, so a
batch's augmentation depends only on (seed, draw) and a resumed run sees the same images as
an uninterrupted one; without it, TensorFlow's stateful generators are used.
"""

from __future__ import annotations

import math

import tensorflow as tf

from training.recipe import Augment

__all__ = ["Augment", "augment_batch"]


class _Draws:
    """Uniform draws: stateless from `seed` (each draw its own fold-in) or stateful."""

    def __init__(self, seed: tf.Tensor | None):
        self.seed, self.count = seed, 0

    def __call__(self, shape, lo=0.0, hi=1.0) -> tf.Tensor:
        if self.seed is None:
            return tf.random.uniform(shape, lo, hi)
        self.count += 1
        key = tf.random.experimental.stateless_fold_in(self.seed, self.count)
        return tf.random.stateless_uniform(shape, key, lo, hi)


def _affine(n: int, aug: Augment, size: float, draw: _Draws) -> tf.Tensor:
    """(n, 8) projective transforms (output -> input coordinates) about the image centre."""
    u = lambda lo, hi: draw([n], lo, hi)  # noqa: E731
    theta = u(-1.0, 1.0) * (aug.rotation_deg * math.pi / 180.0)
    scale = u(1.0 - aug.zoom, 1.0 + aug.zoom)
    flip = tf.where(u(0.0, 1.0) < 0.5, -1.0, 1.0) if aug.flip else tf.ones([n])
    tx, ty = u(-aug.shift, aug.shift) * size, u(-aug.shift, aug.shift) * size
    cos, sin = tf.cos(theta) / scale, tf.sin(theta) / scale
    a0, a1, b0, b1 = cos * flip, -sin, sin * flip, cos
    c = (size - 1.0) / 2.0
    a2 = c - a0 * c - a1 * c + tx
    b2 = c - b0 * c - b1 * c + ty
    zeros = tf.zeros([n])
    return tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)


def augment_batch(x: tf.Tensor, aug: Augment, seed: tf.Tensor | None = None) -> tf.Tensor:
    """x: (n, 48, 48, 1) float32 pixels on 0..255 -> augmented, same shape and scale."""
    draw = _Draws(seed)
    n = tf.shape(x)[0]
    size = tf.cast(tf.shape(x)[1], tf.float32)
    x = tf.raw_ops.ImageProjectiveTransformV3(
        images=x,
        transforms=_affine(n, aug, size, draw),
        output_shape=tf.shape(x)[1:3],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="REFLECT",
    )
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    contrast = draw([n, 1, 1, 1], 1.0 - aug.contrast, 1.0 + aug.contrast)
    gain = draw([n, 1, 1, 1], 1.0 - aug.brightness, 1.0 + aug.brightness)
    x = tf.clip_by_value(((x - mean) * contrast + mean) * gain, 0.0, 255.0)
    if aug.erase_prob > 0:
        x = _erase(x, aug.erase_prob, draw)
    return x


def _erase(x: tf.Tensor, prob: float, draw: _Draws) -> tf.Tensor:
    """Random erasing: with `prob`, one rectangle per image becomes a flat gray."""
    n, side = tf.shape(x)[0], tf.shape(x)[1]
    s = tf.cast(side, tf.float32)
    h = draw([n, 1, 1, 1], 0.15, 0.4) * s
    w = draw([n, 1, 1, 1], 0.15, 0.4) * s
    y0 = draw([n, 1, 1, 1]) * (s - h)
    x0 = draw([n, 1, 1, 1]) * (s - w)
    grid = tf.cast(tf.range(side), tf.float32)
    rows = tf.reshape(grid, [1, -1, 1, 1])
    cols = tf.reshape(grid, [1, 1, -1, 1])
    inside = (rows >= y0) & (rows < y0 + h) & (cols >= x0) & (cols < x0 + w)
    on = draw([n, 1, 1, 1]) < prob
    fill = draw([n, 1, 1, 1], 0.0, 255.0)
    return tf.where(inside & on, fill, x)
