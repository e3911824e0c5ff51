"""Keras models: the seed project's MLP and CNNs A, B, C, the Model A we ship, and the
public FER+ CNN's layers (the anchor of issue #33).

Every model takes 48x48x1 pixels on the 0..255 scale. The shipped models rescale inside the
network, so any runtime can feed a crop directly.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from training.recipe import parse_first_stage


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


def _sep_bn(x, filters: int, slope: float, l2: float):
    reg = keras.regularizers.L2(l2) if l2 else None
    x = layers.SeparableConv2D(
        filters,
        3,
        padding="same",
        use_bias=False,
        depthwise_regularizer=reg,
        pointwise_regularizer=reg,
    )(x)
    x = layers.BatchNormalization()(x)
    return layers.LeakyReLU(negative_slope=slope)(x)


def model_a_sep(
    n_classes: int = 8,
    width: int = 32,
    blocks: tuple[int, int, int] = (2, 2, 2),
    dropout: float = 0.3,
    spatial_dropout: float = 0.1,
    slope: float = 0.02,
    l2: float = 0.0,
    first_stage: str = "",
) -> keras.Model:
    """Model A, second generation: a cheap stride-2 stem, then separable convolutions.

    Full-resolution layers cost the most time per face, so one plain 3x3 convolution with
    stride 2 takes the 48 px face to 24 px. Three stages of separable convolutions follow, at
    24, 12 and 6 px with (2w, 4w, 8w) filters, each with batch norm and leaky ReLU, and spatial
    dropout after each stage. Global average pooling, dropout and one dense layer give logits;
    the softmax is a layer of its own (`probs`) so export can restrict the classes exactly
    (see `class_head`). Rescaling to 0..1 happens inside.

    `first_stage` replaces the stride-2 stem with layers at the full 48 px followed by a 2x2
    max-pooling (see `full_resolution_stage`); empty keeps the stem (the shipped network).
    """
    inputs = keras.Input((48, 48, 1), name="face")
    x = layers.Rescaling(1.0 / 255.0)(inputs)
    if first_stage:
        x = full_resolution_stage(x, first_stage, slope)
    else:
        x = layers.Conv2D(width, 3, strides=2, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(negative_slope=slope)(x)
    for stage, n_blocks in enumerate(blocks):
        for _ in range(n_blocks):
            x = _sep_bn(x, width * 2 ** (stage + 1), slope, l2)
        if stage < len(blocks) - 1:
            x = layers.MaxPool2D(2)(x)
        if spatial_dropout:
            x = layers.SpatialDropout2D(spatial_dropout)(x)
    x = layers.GlobalAveragePooling2D(name="features")(x)
    x = layers.Dropout(dropout)(x)
    logits = layers.Dense(n_classes, name="logits")(x)
    outputs = layers.Softmax(name="probs")(logits)
    name = f"model_a_sep_w{width}_b{''.join(map(str, blocks))}"
    if first_stage:
        name = f"model_a_full_{first_stage.replace('-', '_')}_w{width}_b{''.join(map(str, blocks))}"
    return keras.Model(inputs, outputs, name=name)


def full_resolution_stage(x, spec: str, slope: float = 0.02):
    """Layers at the full 48 px (each with batch norm and leaky ReLU), then 2x2 max-pooling
    to 24 px. A separable layer straight on the one-channel image would be a 1x1 conv, so
    the first layer of a spec should be plain ("c")."""
    for kind, filters in parse_first_stage(spec):
        if kind == "c":
            x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        else:
            x = layers.SeparableConv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(negative_slope=slope)(x)
    return layers.MaxPool2D(2)(x)


# The public FER+ CNN's stages as we read them in github.com/vicksam/fer-model (models.py,
# its 0.17 M-parameter network, the one its 692 kB .tflite holds): (filters, separable 3x3
# layers) at 48, 24, 12 and 6 px, each stage ending in 2x2 max-pooling.
FERPLUS_CNN_STAGES = ((48, 3), (96, 3), (192, 2), (384, 1))


def ferplus_cnn(
    n_classes: int = 8, slope: float = 0.02, spatial_dropout: float = 0.1, l2: float = 0.0
) -> keras.Model:
    """The public FER+ CNN's architecture (173,537 parameters), on 0..255 pixels.

    Every layer is a separable 3x3 convolution (with bias) and batch norm. Inside a stage a
    leaky ReLU follows; a stage's last layer is followed by max-pooling, spatial dropout and
    then the leaky ReLU. A separable 1x1 convolution to the classes and global average
    pooling give the logits (no dense layer); `probs` is their softmax.
    """
    reg = keras.regularizers.L2(l2) if l2 else None
    inputs = keras.Input((48, 48, 1), name="face")
    x = layers.Rescaling(1.0 / 255.0)(inputs)
    for filters, n_layers in FERPLUS_CNN_STAGES:
        for i in range(n_layers):
            x = layers.SeparableConv2D(
                filters, 3, padding="same", depthwise_regularizer=reg, pointwise_regularizer=reg
            )(x)
            x = layers.BatchNormalization()(x)
            if i < n_layers - 1:
                x = layers.LeakyReLU(negative_slope=slope)(x)
        x = layers.MaxPool2D(2)(x)
        if spatial_dropout:
            x = layers.SpatialDropout2D(spatial_dropout)(x)
        x = layers.LeakyReLU(negative_slope=slope)(x)
    x = layers.SeparableConv2D(n_classes, 1, padding="same")(x)
    logits = layers.GlobalAveragePooling2D(name="logits")(x)
    outputs = layers.Softmax(name="probs")(logits)
    return keras.Model(inputs, outputs, name="ferplus_cnn")


def class_head(
    model: keras.Model, columns: list[int], log_prior: list[float] | None = None
) -> keras.Model:
    """The trained network restricted to some of its classes, renormalised.

    Restricting a softmax to a subset of classes and renormalising equals a softmax over those
    classes' logits, so the head is the trained dense layer with only those columns kept (plus
    an optional per-class log-prior added to the bias, chosen on PublicTest). It costs nothing
    at run time and quantizes like any dense layer.
    """
    dense = model.get_layer("logits")
    kernel, bias = dense.get_weights()
    shift = np.zeros(len(columns)) if log_prior is None else np.asarray(log_prior)
    features = model.get_layer("features").output
    head = layers.Dense(len(columns), name="logits_subset")
    logits = head(features)
    head.set_weights([kernel[:, columns], (bias[columns] + shift).astype(np.float32)])
    probs = layers.Softmax(name="probs")(logits)
    return keras.Model(model.inputs, probs, name=f"{model.name}_head{len(columns)}")


def averaged_logits(nets: list[keras.Model], mirror: bool) -> keras.Model:
    """(48, 48, 1) pixels -> the members' eight-way logits, averaged over members and views
    (the face, and its mirror with `mirror`): the ensembles of the accuracy-latency curve
    and distillation's teacher."""
    face = keras.Input((48, 48, 1), name="face")
    views = [face]
    if mirror:
        views.append(layers.Lambda(lambda x: keras.ops.flip(x, axis=2), name="mirror")(face))
    outs = []
    for i, net in enumerate(nets):
        body = keras.Model(net.inputs, net.get_layer("logits").output, name=f"member{i}")
        outs += [body(v) for v in views]
    z = outs[0] if len(outs) == 1 else layers.Average(name="mean_logits")(outs)
    return keras.Model(face, z, name="averaged")


def with_softmax(logits: keras.Model, columns: list[int], prior: list[float] | None) -> keras.Model:
    """A head over some columns of `logits`, with an optional log-prior, as probabilities."""
    select = layers.Dense(len(columns), name="select", trainable=False)
    z = select(logits.output)
    kernel = np.zeros((logits.output.shape[-1], len(columns)), np.float32)
    kernel[columns, np.arange(len(columns))] = 1.0
    bias = np.zeros(len(columns)) if prior is None else np.asarray(prior)
    select.set_weights([kernel, bias.astype(np.float32)])
    probs = layers.Softmax(name="probs")(z)
    return keras.Model(logits.inputs, probs, name=f"averaged_head{len(columns)}")


SEED_MODELS = {"mlp": seed_mlp, "cnn_a": seed_cnn_a, "cnn_b": seed_cnn_b, "cnn_c": seed_cnn_c}
