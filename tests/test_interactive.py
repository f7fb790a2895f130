"""The offline temperature figure: its numbers are softmax's, its HTML is reproducible."""

from __future__ import annotations

import json
import math
import re

import pytest
import torch

from omnivault import entropy, softmax
from omnivault.interactive import temperature_explorer

Z = torch.tensor([1.0, 2.0, 3.0])


def payload(html: str) -> dict:
    match = re.search(r'<script type="application/json">(.*?)</script>', html, re.S)
    assert match is not None
    return json.loads(match.group(1))


def test_the_figure_carries_softmax_entropy_and_draws_at_every_temperature() -> None:
    data = payload(temperature_explorer(Z, steps=9, num_samples=400)._repr_html_())
    assert len(data["temperatures"]) == 9
    assert data["temperatures"][0] == 0.1 and data["temperatures"][-1] == 10.0
    for t, probs, freqs, h in zip(
        data["temperatures"], data["probs"], data["freqs"], data["entropy"], strict=True
    ):
        expected = softmax(Z.double(), temperature=t)
        assert probs == pytest.approx(expected.tolist(), abs=1e-6)
        assert h == pytest.approx(float(entropy(expected)), abs=1e-6)
        assert sum(freqs) == pytest.approx(1.0)
        assert all(abs(f * 400 - round(f * 400)) < 1e-3 for f in freqs)  # counts of 400 draws
    assert data["maxEntropy"] == pytest.approx(math.log(3))


def test_the_temperatures_are_log_spaced() -> None:
    temperatures = payload(temperature_explorer(Z, steps=5)._repr_html_())["temperatures"]
    assert temperatures == [0.1, 0.316, 1.0, 3.16, 10.0]


def test_the_same_arguments_give_the_same_html() -> None:
    first = temperature_explorer(Z, seed=3)._repr_html_()
    assert first == temperature_explorer(Z, seed=3)._repr_html_()
    assert first != temperature_explorer(Z, seed=4)._repr_html_()


def test_the_figure_has_a_slider_a_description_and_no_remote_resource() -> None:
    html = temperature_explorer(Z, labels=["a", "b", "c"])._repr_html_()
    assert '<input type="range"' in html
    # Two panels (bars, entropy curve), each an image with its own description.
    assert html.count('role="img"') == 2
    assert len(re.findall(r'<svg[^>]*aria-label="[^"]{40,}"', html)) == 2
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", html)
    assert ">a</text>" in html


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"logits": torch.tensor([1.0])}, "2 to 12"),
        ({"logits": torch.zeros(2, 3)}, "1-d"),
        ({"logits": torch.tensor([1.0, math.inf])}, "finite"),
        ({"temperatures": (1.0, 1.0)}, "low < high"),
        ({"temperatures": (0.0, 1.0)}, "temperature"),
        ({"steps": 1}, "steps"),
        ({"num_samples": 0}, "num_samples"),
        ({"labels": ["a"]}, "labels"),
    ],
)
def test_bad_arguments_are_value_errors(kwargs: dict, message: str) -> None:
    arguments = {"logits": Z, **kwargs}
    with pytest.raises(ValueError, match=message):
        temperature_explorer(arguments.pop("logits"), **arguments)


def test_integer_logits_are_a_type_error() -> None:
    with pytest.raises(TypeError, match="floating"):
        temperature_explorer(torch.tensor([1, 2, 3]))


def test_temperatures_spanning_float64_give_a_figure() -> None:
    # high / low = 1e600 overflows; the grid is spaced in log T.
    data = payload(temperature_explorer(Z, temperatures=(1e-300, 1e300), steps=3)._repr_html_())
    assert data["temperatures"] == [1e-300, 1.0, 1e300]
