"""Properties of the softmax Jacobian J = diag(s) - s s^T (chapter "Derivatives")."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from omnivault import softmax, softmax_jacobian
from tests.strategies import logit_batches, logit_vectors

MODERATE = st.floats(min_value=-5.0, max_value=5.0, allow_nan=False)


@given(logit_batches())
def test_jacobian_matches_autograd(z: torch.Tensor) -> None:
    for row, jacobian in zip(z, softmax_jacobian(z), strict=True):
        expected = torch.autograd.functional.jacobian(softmax, row)
        torch.testing.assert_close(jacobian, expected, rtol=1e-10, atol=1e-12)


@given(logit_batches())
def test_jacobian_is_symmetric(z: torch.Tensor) -> None:
    jacobian = softmax_jacobian(z)
    assert torch.equal(jacobian, jacobian.transpose(-1, -2))


@given(logit_batches())
def test_jacobian_is_positive_semidefinite(z: torch.Tensor) -> None:
    eigenvalues = torch.linalg.eigvalsh(softmax_jacobian(z))
    assert bool((eigenvalues >= -1e-12).all())


@given(logit_batches())
def test_jacobian_annihilates_the_ones_vector(z: torch.Tensor) -> None:
    product = softmax_jacobian(z) @ torch.ones(z.shape[-1], dtype=z.dtype)
    torch.testing.assert_close(product, torch.zeros_like(product), rtol=0, atol=1e-12)


@given(logit_vectors(min_size=2, elements=MODERATE))
def test_jacobian_has_rank_k_minus_one(z: torch.Tensor) -> None:
    assert int(torch.linalg.matrix_rank(softmax_jacobian(z), atol=1e-10)) == len(z) - 1


@given(logit_vectors(min_size=1), st.integers(0, 2**31 - 1))
def test_vector_jacobian_product_formula(z: torch.Tensor, seed: int) -> None:
    g = torch.randn(len(z), generator=torch.Generator().manual_seed(seed), dtype=z.dtype)
    s = softmax(z)
    x = z.clone().requires_grad_(True)
    (autograd_vjp,) = torch.autograd.grad(softmax(x), x, grad_outputs=g)
    formula = s * (g - torch.dot(g, s))
    torch.testing.assert_close(autograd_vjp, formula, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(softmax_jacobian(z).T @ g, formula, rtol=1e-10, atol=1e-12)


def test_jacobian_is_the_hessian_of_logsumexp() -> None:
    from omnivault import logsumexp

    z = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    hessian = torch.autograd.functional.hessian(logsumexp, z)
    torch.testing.assert_close(hessian, softmax_jacobian(z))


def test_jacobian_eigenvalues_for_one_two_three() -> None:
    z = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    s = softmax(z)
    jacobian = softmax_jacobian(z)
    torch.testing.assert_close(torch.trace(jacobian), 1 - s.dot(s))
    eigenvalues = torch.linalg.eigvalsh(jacobian)
    assert abs(float(eigenvalues[0])) < 1e-15
    assert bool((eigenvalues[1:] > 0.1).all())


def test_gradcheck_of_the_jacobian() -> None:
    z = torch.randn(2, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert torch.autograd.gradcheck(softmax_jacobian, z.requires_grad_(True))


def test_jacobian_validates_like_softmax() -> None:
    with pytest.raises(TypeError, match="floating dtype"):
        softmax_jacobian(torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="NaN"):
        softmax_jacobian(torch.tensor([1.0, float("nan")]))
    with pytest.raises(ValueError, match="0-d"):
        softmax_jacobian(torch.tensor(1.0))


def test_jacobian_does_not_modify_its_input() -> None:
    z = torch.tensor([[0.5, -1.0, 2.0]])
    before = z.clone()
    softmax_jacobian(z)
    assert torch.equal(z, before)
