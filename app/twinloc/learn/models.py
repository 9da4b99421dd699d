"""Torch regression models, each carrying the normalisation of its inputs and targets.

Every model here takes raw inputs and returns raw targets (metres for positions): the
normalisation statistics are buffers of the model, so they travel with its state dict and a
saved model needs nothing else to be applied. Models are built by registry name, which is what
a checkpoint records (see :mod:`twinloc.learn.trainer`).

Settings that size a model are checked before it is built, since a checkpoint file names them:
each against the ``limits`` of its architecture, and the whole model against
:data:`MAX_PARAMETERS`.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

__all__ = [
    "MAX_PARAMETERS",
    "AngleDelayResNet",
    "LinearModel",
    "MitigationNet",
    "Normalisation",
    "PositionLSTM",
    "PositionMLP",
    "SectorHeads",
    "create_model",
    "model_names",
]

#: Most weights a model may have: 4 million float32 numbers, 16 MB (the default mitigation
#: network has about 24,000).
MAX_PARAMETERS = 4_000_000
#: Most input or output features of a model.
MAX_FEATURES = 1024
#: Most time steps of a sequence model's input window.
MAX_LAG = 64
#: Most sectors (decoupled heads) of a model; as many as a base station may have.
MAX_SECTORS = 12


class Normalisation(nn.Module):
    """Per-feature mean and standard deviation of the inputs and the targets.

    Parameters
    ----------
    inputs : int, number of input features.
    outputs : int, number of target features.
    """

    def __init__(self, inputs: int, outputs: int) -> None:
        super().__init__()
        self.register_buffer("input_mean", torch.zeros(inputs))
        self.register_buffer("input_std", torch.ones(inputs))
        self.register_buffer("target_mean", torch.zeros(outputs))
        self.register_buffer("target_std", torch.ones(outputs))

    def fit(self, inputs: torch.Tensor, targets: torch.Tensor) -> None:
        """Set the statistics from training data: inputs (N, I), targets (N, O).

        Features that do not vary get a unit std, so that they pass through unscaled instead of
        dividing by zero.
        """
        with torch.no_grad():
            for prefix, values in (("input", inputs), ("target", targets)):
                values = values.to(torch.float32)
                std = values.std(dim=0, unbiased=False)
                getattr(self, f"{prefix}_mean").copy_(values.mean(dim=0))
                getattr(self, f"{prefix}_std").copy_(torch.where(std > 1e-12, std, torch.ones_like(std)))

    def as_dict(self) -> dict[str, list[float]]:
        """The four statistics as plain lists, for checkpoint metadata people can read."""
        return {name: buffer.tolist() for name, buffer in self.named_buffers()}


class MitigationNet(nn.Module):
    """The lightweight positioning-error mitigation network of seed 004 (§3.4, Fig. 2).

    A fully connected layer expands the inputs to side × side values, reshaped to a
    one-channel image; three convolutions and one max pooling extract features; four fully
    connected layers regress the output.

    Parameters
    ----------
    inputs : int, default: 16. Eight measured (x, y) fixes of one point, metres.
    outputs : int, default: 2. The true (x, y), metres.
    side : int, default: 8. Edge of the image the inputs are expanded to (even).
    channels : tuple of 3 int, default: (8, 16, 16). Channels of the three convolutions.
    hidden : tuple of 3 int, default: (64, 32, 16). Widths of the first three fully connected layers.
    """

    architecture = "mitigation_net"
    #: Per setting: (least, most) of each number, and how many numbers (1: a single one).
    limits = {"inputs": (1, MAX_FEATURES, 1), "outputs": (1, MAX_FEATURES, 1), "side": (2, 64, 1),
              "channels": (1, 256, 3), "hidden": (1, 4096, 3)}

    def __init__(
        self,
        inputs: int = 16,
        outputs: int = 2,
        side: int = 8,
        channels: tuple[int, int, int] = (8, 16, 16),
        hidden: tuple[int, int, int] = (64, 32, 16),
    ) -> None:
        super().__init__()
        if side < 2 or side % 2:
            raise ValueError(f"side must be an even number >= 2, got {side}")
        self.kwargs = {"inputs": inputs, "outputs": outputs, "side": side, "channels": list(channels), "hidden": list(hidden)}
        self.side = side
        self.normalisation = Normalisation(inputs, outputs)
        self.expand = nn.Sequential(nn.Linear(inputs, side * side), nn.ReLU())
        first, second, third = channels
        self.features = nn.Sequential(
            nn.Conv2d(1, first, 3, padding=1), nn.ReLU(),
            nn.Conv2d(first, second, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(second, third, 3, padding=1), nn.ReLU(),
        )
        widths = [third * (side // 2) ** 2, *hidden]
        layers: list[nn.Module] = []
        for width_in, width_out in zip(widths[:-1], widths[1:]):
            layers += [nn.Linear(width_in, width_out), nn.ReLU()]
        layers.append(nn.Linear(widths[-1], outputs))
        self.regress = nn.Sequential(*layers)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """(N, inputs) raw → (N, outputs) raw."""
        norm = self.normalisation
        scaled = (inputs - norm.input_mean) / norm.input_std
        image = self.expand(scaled).reshape(-1, 1, self.side, self.side)
        output = self.regress(self.features(image).flatten(1))
        return output * norm.target_std + norm.target_mean


class LinearModel(nn.Module):
    """An affine map of the normalised inputs: the simplest baseline, and a trainer check.

    Parameters
    ----------
    inputs : int, number of input features.
    outputs : int, number of target features.
    """

    architecture = "linear"
    limits = {"inputs": (1, MAX_FEATURES, 1), "outputs": (1, MAX_FEATURES, 1)}

    def __init__(self, inputs: int, outputs: int) -> None:
        super().__init__()
        self.kwargs = {"inputs": inputs, "outputs": outputs}
        self.normalisation = Normalisation(inputs, outputs)
        self.linear = nn.Linear(inputs, outputs)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """(N, inputs) raw → (N, outputs) raw."""
        norm = self.normalisation
        output = self.linear((inputs - norm.input_mean) / norm.input_std)
        return output * norm.target_std + norm.target_mean


class SectorHeads(nn.Module):
    """Seed 003's decoupled mapping heads (§III.C): one linear layer per sector of a base station
    on features a backbone shares, each sample mapped by its own sector's head.

    Parameters
    ----------
    features : int, width of the shared features. outputs : int, position coordinates.
    sectors : int, heads (2 or more).
    """

    def __init__(self, features: int, outputs: int, sectors: int) -> None:
        super().__init__()
        self.heads = nn.ModuleList(nn.Linear(features, outputs) for _ in range(sectors))

    def forward(self, features: torch.Tensor, sector: torch.Tensor) -> torch.Tensor:
        """features (N, features), sector (N,) int64 → (N, outputs), row i from head sector[i]."""
        every = torch.stack([head(features) for head in self.heads], dim=1)  # (N, sectors, outputs)
        return every[torch.arange(len(features)), sector]


def _split_sector(inputs: torch.Tensor, sectors: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """A row's features and, for a model of several sectors, the sector its last value names
    (rounded and clipped to 0 .. sectors - 1, as a mean teacher adds noise to every input)."""
    if sectors == 1:
        return inputs, None
    return inputs[:, :-1], inputs[:, -1].round().clamp(0, sectors - 1).long()


class PositionMLP(nn.Module):
    """A multi-layer perceptron from a fingerprint to a position (seed 002, MLP of Table 5).

    Parameters
    ----------
    inputs : int, fingerprint features (one per transmitter and measured quantity).
    outputs : int, default: 2. Position coordinates, metres.
    hidden : int, default: 32. Neurons of each hidden layer.
    layers : int, default: 3. Hidden layers, each Linear then ReLU.
    sectors : int, default: 1. With 2 or more, a row carries its sector after its ``inputs``
        features and the last layer is :class:`SectorHeads`.
    """

    architecture = "position_mlp"
    limits = {"inputs": (1, MAX_FEATURES, 1), "outputs": (1, MAX_FEATURES, 1), "hidden": (1, 4096, 1),
              "layers": (1, 16, 1), "sectors": (1, MAX_SECTORS, 1)}

    def __init__(self, inputs: int, outputs: int = 2, hidden: int = 32, layers: int = 3, sectors: int = 1) -> None:
        super().__init__()
        self.kwargs = {"inputs": inputs, "outputs": outputs, "hidden": hidden, "layers": layers}
        if sectors > 1:
            self.kwargs["sectors"] = sectors
        self.sectors = sectors
        self.normalisation = Normalisation(inputs + (sectors > 1), outputs)
        widths = [inputs] + [hidden] * layers
        stack: list[nn.Module] = []
        for width_in, width_out in zip(widths[:-1], widths[1:]):
            stack += [nn.Linear(width_in, width_out), nn.ReLU()]
        if sectors == 1:
            self.regress = nn.Sequential(*stack, nn.Linear(widths[-1], outputs))
        else:
            self.body, self.heads = nn.Sequential(*stack), SectorHeads(widths[-1], outputs, sectors)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """(N, inputs), or (N, inputs + 1) with the sector last, raw → (N, outputs) raw."""
        norm = self.normalisation
        features, sector = _split_sector(inputs, self.sectors)
        features = (features - norm.input_mean[:features.shape[1]]) / norm.input_std[:features.shape[1]]
        output = self.regress(features) if sector is None else self.heads(self.body(features), sector)
        return output * norm.target_std + norm.target_mean


class PositionLSTM(nn.Module):
    """An LSTM from a window of consecutive fingerprints to the position of the last one
    (seed 002, LSTM Models 1 and 2).

    The trainer feeds flat rows, so a row is the window flattened in time order, oldest first,
    ``lag * features`` values, followed by ``extra`` values that every time step also sees:
    LSTM Model 2's previous position (``extra=2``); Model 1 has none. The final hidden state
    goes through one Linear layer to the position.

    Parameters
    ----------
    features : int, fingerprint features per time step.
    lag : int, default: 4. Time steps of the window.
    extra : int, default: 0. Values appended to every time step (2: the previous position).
    outputs : int, default: 2. Position coordinates, metres.
    hidden : int, default: 128. Memory units of the LSTM.
    layers : int, default: 1. Stacked LSTM layers.
    """

    architecture = "position_lstm"
    limits = {"features": (1, MAX_FEATURES, 1), "lag": (1, MAX_LAG, 1), "extra": (0, MAX_FEATURES, 1),
              "outputs": (1, MAX_FEATURES, 1), "hidden": (1, 4096, 1), "layers": (1, 8, 1)}

    def __init__(self, features: int, lag: int = 4, extra: int = 0, outputs: int = 2, hidden: int = 128,
                 layers: int = 1) -> None:
        super().__init__()
        self.kwargs = {"features": features, "lag": lag, "extra": extra, "outputs": outputs, "hidden": hidden,
                       "layers": layers}
        self.features, self.lag, self.extra = features, lag, extra
        self.normalisation = Normalisation(lag * features + extra, outputs)
        self.lstm = nn.LSTM(features + extra, hidden, num_layers=layers, batch_first=True)
        self.regress = nn.Linear(hidden, outputs)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """(N, lag * features + extra) raw → (N, outputs) raw."""
        norm = self.normalisation
        scaled = (inputs - norm.input_mean) / norm.input_std
        window = scaled[:, : self.lag * self.features].reshape(-1, self.lag, self.features)
        if self.extra:
            shared = scaled[:, self.lag * self.features:].unsqueeze(1).expand(-1, self.lag, self.extra)
            window = torch.cat([window, shared], dim=2)
        hidden_states, _ = self.lstm(window)
        return self.regress(hidden_states[:, -1]) * norm.target_std + norm.target_mean


class _ResidualBlock(nn.Module):
    """Two 3 x 3 convolutions with a skip connection around them (He et al., 2016), then ReLU."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.convolutions = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(), nn.Conv2d(channels, channels, 3, padding=1)
        )

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return torch.relu(image + self.convolutions(image))


class AngleDelayResNet(nn.Module):
    """A small ResNet-style CNN from a channel's angle-delay image to a position (seed 003, Fig. 2).

    The trainer feeds flat rows, so a row is the image flattened antenna-major, ``antennas *
    delay_bins`` magnitudes. After per-pixel normalisation a strided 3 x 3 convolution halves the
    image; each residual block is followed by a 2 x 2 max pooling (while the image is at least
    2 pixels high and wide), which keeps a 32 x 408 image cheap enough to train on a CPU; an
    adaptive average pooling to 2 x 2 and a linear layer give the position.

    Batch normalisation is left out on purpose: the few labelled samples of semi-supervised runs
    give small, noisy batch statistics, and without it a model's output depends on its weights only.

    Parameters
    ----------
    antennas : int, rows of the image (antenna or angle bins).
    delay_bins : int, columns of the image.
    outputs : int, default: 2. Position coordinates, metres.
    channels : int, default: 16. Feature maps of every convolution.
    blocks : int, default: 3. Residual blocks.
    sectors : int, default: 1. With 2 or more, a row carries its sector after the image and the
        linear layer is :class:`SectorHeads` (seed 003's decoupled mapping heads).
    """

    architecture = "angle_delay_resnet"
    limits = {"antennas": (1, 256, 1), "delay_bins": (1, 4096, 1), "outputs": (1, MAX_FEATURES, 1),
              "channels": (1, 128, 1), "blocks": (1, 8, 1), "sectors": (1, MAX_SECTORS, 1)}

    def __init__(self, antennas: int, delay_bins: int, outputs: int = 2, channels: int = 16, blocks: int = 3,
                 sectors: int = 1) -> None:
        super().__init__()
        self.kwargs = {"antennas": antennas, "delay_bins": delay_bins, "outputs": outputs, "channels": channels,
                       "blocks": blocks}
        if sectors > 1:
            self.kwargs["sectors"] = sectors
        self.shape = (antennas, delay_bins)
        self.sectors = sectors
        self.normalisation = Normalisation(antennas * delay_bins + (sectors > 1), outputs)
        self.stem = nn.Sequential(nn.Conv2d(1, channels, 3, stride=2, padding=1), nn.ReLU())
        stages: list[nn.Module] = []
        rows, columns = (antennas + 1) // 2, (delay_bins + 1) // 2
        for _ in range(blocks):
            stages.append(_ResidualBlock(channels))
            if rows >= 2 and columns >= 2:
                stages.append(nn.MaxPool2d(2))
                rows, columns = rows // 2, columns // 2
        self.blocks = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.regress = nn.Linear(channels * 4, outputs) if sectors == 1 else SectorHeads(channels * 4, outputs, sectors)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """(N, antennas * delay_bins), or one more value per row with the sector, raw → (N, outputs) raw."""
        norm = self.normalisation
        pixels, sector = _split_sector(inputs, self.sectors)
        image = ((pixels - norm.input_mean[:pixels.shape[1]]) / norm.input_std[:pixels.shape[1]]).reshape(-1, 1, *self.shape)
        features = self.pool(self.blocks(self.stem(image))).flatten(1)
        output = self.regress(features) if sector is None else self.regress(features, sector)
        return output * norm.target_std + norm.target_mean


_REGISTRY: dict[str, type[nn.Module]] = {
    model.architecture: model
    for model in (MitigationNet, LinearModel, PositionMLP, PositionLSTM, AngleDelayResNet)
}


def model_names() -> tuple[str, ...]:
    """Names :func:`create_model` accepts."""
    return tuple(_REGISTRY)


def create_model(name: str, *, seed: int = 0, **kwargs: Any) -> nn.Module:
    """A freshly initialised model of a registered architecture.

    The initial weights depend only on ``seed`` and the kwargs: the global torch generator is
    forked, so building a model neither depends on nor disturbs other random draws.

    Raises
    ------
    KeyError
        For an unknown name.
    ValueError
        For an unknown or missing setting, a setting of the wrong type or beyond the
        architecture's ``limits``, or a model of more than :data:`MAX_PARAMETERS` weights.
    """
    if name not in _REGISTRY:
        raise KeyError(f"unknown model {name!r}; known: {', '.join(_REGISTRY)}")
    architecture = _REGISTRY[name]
    _check_settings(architecture.limits, kwargs)
    # Counted on the meta device, which allocates nothing: a model of a billion weights is
    # refused without taking the memory it would need.
    with torch.device("meta"):
        try:
            parameters = sum(parameter.numel() for parameter in architecture(**kwargs).parameters())
        except TypeError as error:  # a required setting is missing
            raise ValueError(f"{name} model settings: {error}") from None
    if parameters > MAX_PARAMETERS:
        raise ValueError(f"a {name} model of these settings has {parameters:,} weights, more than {MAX_PARAMETERS:,}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return architecture(**kwargs)


def _check_settings(limits: dict[str, tuple[int, int, int]], kwargs: dict[str, Any]) -> None:
    unknown = sorted(set(kwargs) - set(limits))
    if unknown:
        raise ValueError(f"unknown model setting(s) {', '.join(map(repr, unknown))}; known: {', '.join(limits)}")
    for key, value in kwargs.items():
        least, most, count = limits[key]
        numbers = [value] if count == 1 else list(value) if isinstance(value, (list, tuple)) else None
        if numbers is None or len(numbers) != count:
            raise ValueError(f"model setting {key!r} must be {count} whole numbers, got {_shown(value)}")
        for number in numbers:
            if isinstance(number, bool) or not isinstance(number, int):
                raise ValueError(f"model setting {key!r} must be whole numbers, got {_shown(value)}")
            if not least <= number <= most:
                raise ValueError(f"model setting {key!r} must be between {least} and {most}, got {_shown(value)}")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:60]}..."
