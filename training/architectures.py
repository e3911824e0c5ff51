"""Keras models: the seed project's MLP and CNNs A, B, C, and the Model A we ship.

Every model takes 48x48x1 pixels on the 0..255 scale. The shipped models rescale inside the
network, so any runtime can feed a crop directly.
"""

from __future__ import annotations

import keras
from keras import layers


def seed_mlp(n_classes: int = 2) -> keras.Model:
    """The seed's baseline: 2304 -> 400 -> 200 -> 50 -> 2 on min-max-scaled pixels."""
    return keras.Sequential(
        [
            keras.Input((48, 48, 1)),
            layers.Rescaling(1.0 / 255.0),
            layers.Flatten(),
            layers.Dense(400, activation="relu"),
            layers.Dense(200, activation="relu"),
            layers.Dense(50, activation="relu"),
            layers.Dense(n_classes, activation="softmax"),
        ],
        name="seed_mlp",
    )


def seed_cnn_a(n_classes: int = 2) -> keras.Model:
    """The seed's Model A (126,098 parameters), fed raw 0..255 pixels as in the original."""
    return keras.Sequential(
        [
            keras.Input((48, 48, 1)),
            layers.Conv2D(24, 3, activation="relu"),
            layers.MaxPool2D(2),
            layers.Conv2D(48, 3, activation="relu"),
            layers.MaxPool2D(2),
            layers.Conv2D(96, 3, activation="relu"),
            layers.MaxPool2D(2),
            layers.Flatten(),
            layers.Dense(48, activation="relu"),
            layers.Dense(n_classes, activation="softmax"),
        ],
        name="seed_cnn_a",
    )


def seed_cnn_b(n_classes: int = 2) -> keras.Model:
    """The seed's Model B (~3.8 M parameters): per-pixel Dense layers and max pooling."""
    return keras.Sequential(
        [
            keras.Input((48, 48, 1)),
            layers.Dense(100, activation="relu"),
            layers.MaxPool2D(2),
            layers.Dense(200, activation="relu"),
            layers.Dense(400, activation="relu"),
            layers.MaxPool2D(2),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(n_classes, activation="softmax"),
        ],
        name="seed_cnn_b",
    )


def seed_cnn_c(n_classes: int = 2) -> keras.Model:
    """The seed's Model C (28,538 parameters)."""
    return keras.Sequential(
        [
            keras.Input((48, 48, 1)),
            layers.Dense(48, activation="relu"),
            layers.Conv2D(12, 4, activation="relu"),
            layers.MaxPool2D(3),
            layers.Dense(24, activation="relu"),
            layers.Conv2D(24, 4, activation="relu"),
            layers.MaxPool2D(2),
            layers.Dense(12, activation="relu"),
            layers.Conv2D(48, 4, activation="relu"),
            layers.MaxPool2D(2),
            layers.Flatten(),
            layers.Dense(n_classes, activation="softmax"),
        ],
        name="seed_cnn_c",
    )


def _conv_bn(x, filters: int):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def model_a_plus(n_classes: int, width: int = 16, dropout: float = 0.3) -> keras.Model:
    """The Model A we ship: Model A's three conv stages, widened, with batch norm.

    Stages of (width, 2w, 4w) filters at 48, 24 and 12 px, a fourth 8w stage at 6 px,
    global average pooling, dropout and a softmax. Rescaling to 0..1 happens inside.
    """
    inputs = keras.Input((48, 48, 1), name="face")
    x = layers.Rescaling(1.0 / 255.0)(inputs)
    x = _conv_bn(x, width)
    x = layers.MaxPool2D(2)(x)
    for filters in (2 * width, 4 * width):
        x = _conv_bn(x, filters)
        x = _conv_bn(x, filters)
        x = layers.MaxPool2D(2)(x)
    x = _conv_bn(x, 8 * width)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="probs")(x)
    return keras.Model(inputs, outputs, name=f"model_a_plus_w{width}")


SEED_MODELS = {"mlp": seed_mlp, "cnn_a": seed_cnn_a, "cnn_b": seed_cnn_b, "cnn_c": seed_cnn_c}


def augmenter(seed: int = 0) -> keras.Sequential:
    """Training-time augmentation: flips, small shifts, rotations and zoom."""
    return keras.Sequential(
        [
            layers.RandomFlip("horizontal", seed=seed),
            layers.RandomTranslation(0.1, 0.1, fill_mode="nearest", seed=seed),
            layers.RandomRotation(0.05, fill_mode="nearest", seed=seed),
            layers.RandomZoom(0.1, fill_mode="nearest", seed=seed),
        ],
        name="augment",
    )
