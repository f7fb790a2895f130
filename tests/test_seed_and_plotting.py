"""seed_all makes every generator repeat itself; the plotting style is deterministic."""

from __future__ import annotations

import io
import random

import matplotlib
import numpy as np
import pytest
import torch

from omnivault import PALETTE, seed_all, use_house_style, use_svg_display

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def draws() -> tuple[float, float, list[float]]:
    return random.random(), float(np.random.rand()), torch.rand(3).tolist()  # noqa: NPY002


def test_seed_all_repeats_python_numpy_and_torch() -> None:
    seed_all(123)
    first = draws()
    seed_all(123)
    assert draws() == first
    seed_all(124)
    assert draws() != first


@pytest.mark.parametrize("seed, error", [(-1, ValueError), (2**32, ValueError), (1.5, TypeError)])
def test_seed_all_rejects_bad_seeds(seed, error) -> None:
    with pytest.raises(error):
        seed_all(seed)


def test_house_style_uses_the_palette() -> None:
    use_house_style()
    colours = [entry["color"] for entry in matplotlib.rcParams["axes.prop_cycle"]]
    assert tuple(colours) == PALETTE


def render_svg() -> bytes:
    fig, ax = plt.subplots()
    ax.bar(range(3), [0.1, 0.3, 0.6])
    ax.set_title("softmax")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    return buffer.getvalue()


def test_svg_figures_are_byte_identical_across_renders() -> None:
    use_svg_display()
    first = render_svg()
    assert render_svg() == first
    assert b"<dc:date>" not in first
