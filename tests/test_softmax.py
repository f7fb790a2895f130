"""Properties of softmax, log_softmax and logsumexp: one test per theorem of the book."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

from omnivault import Softmax, log_softmax, logsumexp, softmax
from tests.strategies import logit_batches, logit_vectors

SMALL = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False)
DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64]


def top_two_gap(z: torch.Tensor) -> float:
    values = torch.sort(z, descending=True).values
    return float(values[0] - values[1])


# --- Softmax induces a probability distribution -------------------------------------------


@given(logit_batches())
def test_softmax_is_strictly_positive(z: torch.Tensor) -> None:
    assert bool((softmax(z, dim=-1) > 0).all())


@given(logit_batches(), st.sampled_from([0, 1, -1, -2]))
def test_softmax_sums_to_one(z: torch.Tensor, dim: int) -> None:
    total = softmax(z, dim=dim).sum(dim=dim)
    torch.testing.assert_close(total, torch.ones_like(total), rtol=0, atol=1e-12)


def test_softmax_of_one_class_is_exactly_one() -> None:
    assert softmax(torch.tensor([[-7.5], [3.0]]), dim=-1).eq(1).all()


# --- Order preservation -------------------------------------------------------------------


@given(logit_vectors(min_size=2))
def test_softmax_preserves_order(z: torch.Tensor) -> None:
    s = softmax(z)
    for i in range(len(z)):
        for j in range(len(z)):
            if z[i] == z[j]:
                assert s[i] == s[j]
            elif z[i] - z[j] >= 1e-6:
                assert s[i] > s[j]


@given(logit_batches())
def test_softmax_keeps_the_argmax(z: torch.Tensor) -> None:
    # Distinct logits closer than the resolution of exp near 1 collapse to one probability;
    # rounding keeps every gap either 0 or at least 1e-3.
    z = torch.round(z, decimals=3)
    assert torch.equal(torch.argmax(softmax(z), dim=-1), torch.argmax(z, dim=-1))


def test_softmax_preserves_the_order_of_the_draft_example() -> None:
    z = torch.tensor([2.0, 1.0, 3.0, 5.0, 4.0])
    assert torch.argsort(softmax(z)).tolist() == [1, 0, 2, 4, 3]


# --- Translation and scale ----------------------------------------------------------------


@given(logit_batches(), st.floats(min_value=-1e3, max_value=1e3, allow_nan=False))
def test_softmax_is_translation_invariant(z: torch.Tensor, c: float) -> None:
    torch.testing.assert_close(softmax(z + c), softmax(z), rtol=1e-9, atol=1e-12)


@given(logit_vectors(min_size=2, elements=SMALL), st.floats(min_value=1.1, max_value=5.0))
def test_scaling_by_more_than_one_sharpens(z: torch.Tensor, c: float) -> None:
    assume(top_two_gap(z) > 1e-3)
    assert softmax(c * z).max() > softmax(z).max()


@given(logit_vectors(min_size=2, elements=SMALL), st.floats(min_value=0.05, max_value=0.9))
def test_scaling_by_less_than_one_dampens(z: torch.Tensor, c: float) -> None:
    assume(top_two_gap(z) > 1e-3)
    assert softmax(c * z).max() < softmax(z).max()


def test_softmax_is_not_scale_invariant() -> None:
    z = torch.tensor([10.0, 20.0, 30.0])
    assert not torch.allclose(softmax(z), softmax(0.01 * z), atol=1e-2)


# --- Temperature --------------------------------------------------------------------------


@given(logit_batches(), st.floats(min_value=1e-2, max_value=1e2))
def test_temperature_divides_the_logits(z: torch.Tensor, t: float) -> None:
    torch.testing.assert_close(softmax(z, temperature=t), softmax(z / t), rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(
        log_softmax(z, temperature=t), log_softmax(z / t), rtol=1e-9, atol=1e-9
    )


@given(logit_vectors(min_size=2))
def test_temperature_to_zero_gives_the_one_hot_argmax(z: torch.Tensor) -> None:
    assume(top_two_gap(z) >= 0.1)
    one_hot = torch.zeros_like(z)
    one_hot[torch.argmax(z)] = 1.0
    # every other probability is at most exp(-0.1 / 1e-3) = exp(-100)
    torch.testing.assert_close(softmax(z, temperature=1e-3), one_hot, rtol=0, atol=1e-40)


@given(logit_vectors(min_size=1))
def test_temperature_to_infinity_gives_the_uniform_distribution(z: torch.Tensor) -> None:
    k = len(z)
    t = 1e6
    # |z_i - z_j| / t <= 1e-4, so every probability is within a factor e^{1e-4} of 1/K
    bound = (math.exp(1e-4) - 1) / k
    uniform = torch.full_like(z, 1 / k)
    torch.testing.assert_close(softmax(z, temperature=t), uniform, rtol=0, atol=bound)


# --- log-softmax and log-sum-exp ----------------------------------------------------------


@given(logit_batches())
def test_log_softmax_is_log_of_softmax(z: torch.Tensor) -> None:
    torch.testing.assert_close(log_softmax(z), torch.log(softmax(z)), rtol=1e-12, atol=1e-12)


def test_log_softmax_keeps_what_log_of_softmax_loses() -> None:
    z = torch.tensor([1000.0, 1.0])
    assert torch.log(softmax(z))[1] == -math.inf
    assert log_softmax(z).tolist() == [0.0, -999.0]


@given(logit_batches())
def test_logsumexp_lies_between_max_and_max_plus_log_k(z: torch.Tensor) -> None:
    lse = logsumexp(z)
    top = z.amax(dim=-1)
    assert bool((top <= lse).all())
    assert bool((lse <= top + math.log(z.shape[-1]) + 1e-12).all())


@given(logit_batches(), st.floats(min_value=-1e3, max_value=1e3, allow_nan=False))
def test_logsumexp_shifts_with_its_input(z: torch.Tensor, c: float) -> None:
    torch.testing.assert_close(logsumexp(z + c), logsumexp(z) + c, rtol=1e-12, atol=1e-9)


@given(logit_batches())
def test_log_softmax_is_logits_minus_logsumexp(z: torch.Tensor) -> None:
    expected = z - logsumexp(z, keepdim=True)
    torch.testing.assert_close(log_softmax(z), expected, rtol=1e-12, atol=1e-12)


# --- Agreement with torch -----------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape, dim", [((5,), 0), ((3, 7), 0), ((3, 7), 1), ((2, 3, 4), -2)])
def test_functions_match_torch(shape: tuple[int, ...], dim: int, dtype: torch.dtype) -> None:
    z = 10 * torch.randn(shape, generator=torch.Generator().manual_seed(0), dtype=dtype)
    torch.testing.assert_close(softmax(z, dim), torch.softmax(z, dim))
    torch.testing.assert_close(log_softmax(z, dim), torch.log_softmax(z, dim))
    torch.testing.assert_close(logsumexp(z, dim), torch.logsumexp(z, dim))
    torch.testing.assert_close(
        logsumexp(z, dim, keepdim=True), torch.logsumexp(z, dim, keepdim=True)
    )


@pytest.mark.parametrize("dim", [0, -1])
def test_zero_dimensional_input_matches_torch(dim: int) -> None:
    z = torch.tensor(3.5)
    torch.testing.assert_close(softmax(z, dim), torch.softmax(z, dim))
    torch.testing.assert_close(log_softmax(z, dim), torch.log_softmax(z, dim))
    torch.testing.assert_close(logsumexp(z, dim), torch.logsumexp(z, dim))


@pytest.mark.parametrize("shape, dim", [((0,), 0), ((0, 4), 1), ((3, 0), 1), ((3, 0), 0)])
def test_empty_input_matches_torch(shape: tuple[int, ...], dim: int) -> None:
    z = torch.empty(shape)
    assert softmax(z, dim).shape == torch.softmax(z, dim).shape
    assert log_softmax(z, dim).shape == torch.log_softmax(z, dim).shape
    torch.testing.assert_close(logsumexp(z, dim), torch.logsumexp(z, dim))


def test_negative_infinity_gets_probability_exactly_zero() -> None:
    z = torch.tensor([[0.0, -math.inf, 1.0], [-math.inf, 2.0, -math.inf]])
    s = softmax(z)
    assert s[0, 1] == 0 and s[1, 0] == 0 and s[1, 2] == 0
    assert s[1, 1] == 1
    torch.testing.assert_close(s, torch.softmax(z, -1))
    assert log_softmax(z)[0, 1] == -math.inf
    torch.testing.assert_close(logsumexp(z), torch.logsumexp(z, -1))


# --- Precision ----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_is_computed_in_float32(dtype: torch.dtype) -> None:
    z = torch.tensor([100.0, 0.0, -100.0], dtype=dtype)
    s = softmax(z)
    assert s.dtype == dtype
    assert s.tolist() == [1.0, 0.0, 0.0]
    reference = torch.softmax(z.float(), -1).to(dtype)
    assert torch.equal(s, reference)
    assert torch.equal(log_softmax(z), torch.log_softmax(z.float(), -1).to(dtype))
    assert torch.equal(logsumexp(z), torch.logsumexp(z.float(), -1).to(dtype))


def test_naive_float16_softmax_overflows_where_ours_does_not() -> None:
    z = torch.tensor([100.0, 0.0, -100.0], dtype=torch.float16)
    naive = torch.exp(z) / torch.exp(z).sum()
    assert torch.isnan(naive).any()
    assert not torch.isnan(softmax(z)).any()


@pytest.mark.parametrize("dtype", DTYPES)
def test_large_logits_do_not_overflow(dtype: torch.dtype) -> None:
    big = torch.finfo(dtype).max / 4
    z = torch.tensor([big, 0.0], dtype=dtype)
    assert softmax(z).tolist() == [1.0, 0.0]


# --- Inputs are never modified ------------------------------------------------------------


@pytest.mark.parametrize(
    "dtype, requires_grad",
    [(dtype, False) for dtype in DTYPES] + [(torch.float32, True), (torch.float64, True)],
)
@pytest.mark.parametrize("temperature", [1.0, 0.5])
def test_input_is_not_modified(dtype: torch.dtype, temperature: float, requires_grad: bool) -> None:
    z = torch.tensor([[1.0, -2.0, 3.0], [0.5, 0.25, -math.inf]], dtype=dtype)
    z.requires_grad_(requires_grad)
    before = z.detach().clone()
    softmax(z, temperature=temperature)
    log_softmax(z, temperature=temperature)
    logsumexp(z)
    assert torch.equal(z.detach(), before)


# --- Gradients ----------------------------------------------------------------------------


@pytest.mark.parametrize("dim", [0, 1])
@pytest.mark.parametrize("temperature", [1.0, 0.7])
def test_gradcheck(dim: int, temperature: float) -> None:
    z = torch.randn(3, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    z.requires_grad_(True)
    for function in (softmax, log_softmax):
        assert torch.autograd.gradcheck(lambda x, f=function: f(x, dim, temperature=temperature), z)
        assert torch.autograd.gradgradcheck(
            lambda x, f=function: f(x, dim, temperature=temperature), z
        )
    assert torch.autograd.gradcheck(lambda x: logsumexp(x, dim), z)
    assert torch.autograd.gradgradcheck(lambda x: logsumexp(x, dim), z)


def test_gradient_of_logsumexp_is_softmax() -> None:
    z = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    (gradient,) = torch.autograd.grad(logsumexp(z), z)
    torch.testing.assert_close(gradient, softmax(z.detach()))


# --- Bad input ----------------------------------------------------------------------------

FUNCTIONS = [softmax, log_softmax, logsumexp]
NAN, INF = math.nan, math.inf


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize(
    "bad",
    [torch.tensor([1, 2, 3]), torch.tensor([True, False]), [1.0, 2.0], 3.0],
    ids=["int", "bool", "list", "float"],
)
def test_non_floating_input_is_a_type_error(function, bad) -> None:
    with pytest.raises(TypeError, match="input must"):
        function(bad)


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize(
    "values, message",
    [
        ([1.0, NAN, 2.0], "NaN"),
        ([NAN, INF, 0.0], "NaN"),
        ([1.0, INF, 2.0], r"\+inf"),
        ([-INF, -INF], "entirely -inf"),
    ],
)
def test_nan_and_infinities_are_value_errors(function, values, message) -> None:
    with pytest.raises(ValueError, match=message):
        function(torch.tensor([[0.0, 1.0], [1.0, 2.0]]).new_tensor([values]))


def test_one_fully_masked_row_is_named() -> None:
    z = torch.tensor([[0.0, 1.0], [-INF, -INF]])
    with pytest.raises(ValueError, match="along dim 1 is entirely -inf"):
        softmax(z)
    assert softmax(z, dim=0)[0].tolist() == [1.0, 1.0]


@pytest.mark.parametrize("function", [softmax, log_softmax])
@pytest.mark.parametrize("temperature", [0, 0.0, -1.0, NAN, INF, True, "1", None])
def test_invalid_temperature_is_a_value_error(function, temperature) -> None:
    with pytest.raises(ValueError, match="temperature must be a finite real number > 0"):
        function(torch.tensor([1.0, 2.0]), temperature=temperature)


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("dim", [2, -3])
def test_dim_out_of_range_is_an_index_error(function, dim: int) -> None:
    with pytest.raises(IndexError, match="out of range"):
        function(torch.zeros(2, 3), dim)


# --- The module form ----------------------------------------------------------------------


def test_softmax_module_matches_the_function() -> None:
    z = torch.randn(2, 5, generator=torch.Generator().manual_seed(3))
    module = Softmax(dim=1, temperature=2.0)
    torch.testing.assert_close(module(z), softmax(z, 1, temperature=2.0))
    assert repr(module) == "Softmax(dim=1, temperature=2.0)"


def test_softmax_module_rejects_a_bad_temperature() -> None:
    with pytest.raises(ValueError, match="temperature"):
        Softmax(temperature=0.0)
