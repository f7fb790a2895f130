"""Entropy: bounds, conventions, and the temperature theorem of chapter "Temperature"."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

from omnivault import entropy, softmax
from tests.strategies import logit_batches, logit_vectors

MODERATE = st.floats(min_value=-5.0, max_value=5.0, allow_nan=False)


@given(logit_batches())
def test_entropy_lies_between_zero_and_log_k(z: torch.Tensor) -> None:
    h = entropy(softmax(z))
    assert bool((h >= 0).all())
    assert bool((h <= math.log(z.shape[-1]) + 1e-12).all())


@pytest.mark.parametrize("k", [1, 2, 3, 10])
def test_uniform_distribution_has_entropy_log_k(k: int) -> None:
    uniform = torch.full((k,), 1 / k, dtype=torch.float64)
    torch.testing.assert_close(entropy(uniform), torch.tensor(math.log(k), dtype=torch.float64))


def test_zero_log_zero_is_zero() -> None:
    assert entropy(torch.tensor([1.0, 0.0, 0.0])).item() == 0.0
    torch.testing.assert_close(entropy(torch.tensor([0.5, 0.0, 0.5])), torch.tensor(math.log(2)))


@pytest.mark.parametrize("masked", [-math.inf, -800.0])  # masked, or underflowing to 0
def test_gradient_through_softmax_is_finite_where_a_probability_is_zero(masked: float) -> None:
    z = torch.tensor([0.0, masked, 1.0, 0.5], dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(entropy(softmax(z)), z)
    s = softmax(z.detach())
    h = entropy(s)
    expected = -s * (torch.where(s > 0, s, 1.0).log() + h)  # -s (log s + H), 0 where s = 0
    torch.testing.assert_close(grad, expected, rtol=1e-12, atol=0.0)


def test_entropy_reduces_along_dim() -> None:
    probs = torch.tensor([[0.5, 1.0], [0.5, 0.0]])
    torch.testing.assert_close(entropy(probs, dim=0), torch.tensor([math.log(2), 0.0]))


@given(
    logit_vectors(min_size=2, elements=MODERATE),
    st.floats(min_value=0.05, max_value=20.0),
    st.floats(min_value=1.01, max_value=5.0),
)
def test_entropy_is_non_decreasing_in_temperature(z: torch.Tensor, t: float, factor: float) -> None:
    lower = entropy(softmax(z, temperature=t))
    higher = entropy(softmax(z, temperature=t * factor))
    assert higher >= lower - 1e-12


@given(logit_vectors(min_size=2, elements=MODERATE), st.floats(min_value=0.2, max_value=5.0))
def test_entropy_derivative_is_variance_over_t_cubed(z: torch.Tensor, t: float) -> None:
    assume(float(z.max() - z.min()) > 1e-2)
    p = softmax(z, temperature=t)
    variance = torch.dot(p, z**2) - torch.dot(p, z) ** 2
    h = 1e-5
    finite_difference = (
        entropy(softmax(z, temperature=t + h)) - entropy(softmax(z, temperature=t - h))
    ) / (2 * h)
    torch.testing.assert_close(finite_difference, variance / t**3, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize(
    "probs, error, message",
    [
        (torch.tensor([1, 0]), TypeError, "floating dtype"),
        (torch.tensor(1.0), ValueError, "at least one outcome"),
        (torch.tensor([0.5, float("nan")]), ValueError, "NaN or inf"),
        (torch.tensor([1.5, -0.5]), ValueError, "negative"),
        (torch.tensor([0.5, 0.4]), ValueError, "sum to 1"),
    ],
)
def test_bad_probabilities_are_rejected(probs, error, message) -> None:
    with pytest.raises(error, match=message):
        entropy(probs)
