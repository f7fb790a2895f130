"""Properties of softmax, log_softmax and logsumexp: one test per theorem of the book."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
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


@pytest.mark.parametrize(
    ("values", "dtype"),
    [
        ([1000.0, 1000.5, 999.0], torch.float16),  # lse rounded to float16
        ([1e8, 1e8, 0.0], torch.float32),  # lse = 1e8 + log 2 rounds to 1e8
    ],
)
def test_gradient_of_logsumexp_is_softmax_where_the_output_rounds(
    values: list[float], dtype: torch.dtype
) -> None:
    z = torch.tensor(values, dtype=dtype, requires_grad=True)
    (gradient,) = torch.autograd.grad(logsumexp(z), z)
    expected = torch.softmax(z.detach().double(), dim=-1).to(dtype)
    torch.testing.assert_close(gradient, expected)


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
    ],
)
def test_nan_and_infinities_are_value_errors(function, values, message) -> None:
    with pytest.raises(ValueError, match=message):
        function(torch.tensor([[0.0, 1.0], [1.0, 2.0]]).new_tensor([values]))


@pytest.mark.parametrize("function", [softmax, log_softmax])
def test_a_slice_of_only_minus_inf_has_no_distribution(function) -> None:
    with pytest.raises(ValueError, match="entirely -inf"):
        function(torch.tensor([[-INF, -INF]]))


def test_one_fully_masked_row_is_named() -> None:
    z = torch.tensor([[0.0, 1.0], [-INF, -INF]])
    with pytest.raises(ValueError, match="along dim 1 is entirely -inf"):
        softmax(z)
    assert softmax(z, dim=0)[0].tolist() == [1.0, 1.0]


@pytest.mark.parametrize("function", [softmax, log_softmax])
@pytest.mark.parametrize("temperature", [0, 0.0, -1.0, NAN, INF, True, "1", None, 10**400])
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


# --- Every accepted temperature works in every dtype ----------------------------------------

EXTREME_TEMPERATURES = [1e-46, 1e-40, 1e-30, 1.0, 1e30, 3.5e38, 1e300]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("temperature", EXTREME_TEMPERATURES)
def test_every_accepted_temperature_gives_a_distribution_in_every_dtype(
    dtype: torch.dtype, temperature: float
) -> None:
    z = torch.tensor([1.0, 2.0, 3.0, 3.0, -INF], dtype=dtype)
    s = softmax(z, temperature=temperature)
    expected = softmax(z.double(), temperature=temperature).to(dtype)
    assert not bool(s.isnan().any())
    assert s[-1] == 0  # a -inf logit keeps probability 0 at every temperature
    torch.testing.assert_close(s, expected)
    log_s = log_softmax(z, temperature=temperature)
    assert not bool(log_s.isnan().any())
    assert log_s[-1] == -INF


def test_a_vanishing_temperature_gives_the_one_hot_of_the_maximiser_set() -> None:
    z = torch.tensor([1.0, 3.0, 3.0, 2.0])
    assert softmax(z, temperature=1e-46).tolist() == [0.0, 0.5, 0.5, 0.0]
    assert softmax(torch.tensor([1.0, 2.0, 3.0]), temperature=1e-46).tolist() == [0, 0, 1]


def test_a_huge_temperature_keeps_minus_inf_at_zero() -> None:
    assert softmax(torch.tensor([0.0, -INF]), temperature=3.5e38).tolist() == [1.0, 0.0]


def test_a_huge_temperature_gives_the_uniform_distribution_on_the_support() -> None:
    s = softmax(torch.tensor([0.0, 5.0, -INF, -3.0]), temperature=1e300)
    assert s.tolist() == pytest.approx([1 / 3, 1 / 3, 0.0, 1 / 3], abs=1e-7)


@pytest.mark.parametrize("temperature", [1e-46, 3.5e38])
def test_the_gradient_at_an_extreme_temperature_is_not_nan(temperature: float) -> None:
    z = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (gradient,) = torch.autograd.grad(softmax(z, temperature=temperature)[2], z)
    assert not bool(gradient.isnan().any())


@pytest.mark.parametrize("function", [softmax, log_softmax])
def test_a_subnormal_temperature_in_float64_is_a_value_error(function) -> None:
    with pytest.raises(ValueError, match="not representable in float64"):
        function(torch.tensor([1.0, 2.0], dtype=torch.float64), temperature=1e-310)


# --- log-sum-exp of an empty sum --------------------------------------------------------------


def test_logsumexp_of_a_slice_of_only_minus_inf_is_minus_inf() -> None:
    z = torch.tensor([[-INF, -INF], [0.0, 1.0]])
    result = logsumexp(z)
    assert result[0] == -INF
    torch.testing.assert_close(result, torch.logsumexp(z, dim=-1))


def test_the_gradient_of_an_empty_sum_is_zero() -> None:
    z = torch.tensor([[-INF, -INF], [0.0, 0.0]], requires_grad=True)
    (gradient,) = torch.autograd.grad(logsumexp(z).sum(), z)
    assert gradient.tolist() == [[0.0, 0.0], [0.5, 0.5]]


def test_logsumexp_of_an_empty_slice_is_minus_inf() -> None:
    assert logsumexp(torch.empty(3, 0)).tolist() == [-INF] * 3


# --- Empty tensors keep autograd ----------------------------------------------------------------


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0,)])
def test_empty_tensors_keep_autograd(function, shape: tuple[int, ...]) -> None:
    z = torch.empty(shape, requires_grad=True)
    result = function(z)
    assert result.grad_fn is not None
    result.sum().backward()
    assert z.grad is not None and z.grad.shape == z.shape


# --- Accuracy after Blanchard, Higham and Higham ------------------------------------------------


def exact_lse(z: torch.Tensor) -> float:
    """log-sum-exp of float64 values, computed with a 113-bit float from fractions."""
    from fractions import Fraction

    values = [float(v) for v in z.double()]
    top = max(values)
    others = sum(Fraction(math.exp(v - top)) for v in values if v != top) + (
        sum(1 for v in values if v == top) - 1
    )
    return top + math.log1p(float(others))


def test_logsumexp_is_accurate_near_zero() -> None:
    z = torch.tensor([0.0, -20.0])
    expected = math.log1p(math.exp(-20.0))
    assert logsumexp(z).item() == pytest.approx(expected, rel=4 * 2**-24)
    assert torch.logsumexp(z, dim=0).item() == 0.0  # torch loses it completely


@settings(max_examples=200)
@given(logit_vectors(min_size=2, elements=st.floats(-30.0, 0.0)))
def test_logsumexp_is_accurate_relative_to_its_value_in_float32(z: torch.Tensor) -> None:
    # Well conditioned: the maximum is 0 and every other entry lies below -5, so lse
    # is in (0, K e^-5) and kappa = sum s_i |x_i| / lse <= 30; the error bound is a
    # few units of roundoff times that.
    z = torch.cat([torch.zeros(1, dtype=z.dtype), z.clamp(max=-5.0)]).float()
    exact = exact_lse(z)
    assume(exact > 0)
    relative = abs(logsumexp(z).item() - exact) / exact
    assert relative <= 8 * 2**-24


def test_log_softmax_of_a_confident_class_is_accurate() -> None:
    z = torch.tensor([0.0, -18.0, -19.0, -25.0])
    s = sum(math.exp(v) for v in (-18.0, -19.0, -25.0))
    expected = -math.log1p(s)
    assert log_softmax(z)[0].item() == pytest.approx(expected, rel=4 * 2**-24)
    assert torch.log_softmax(z, dim=0)[0].item() == 0.0


# --- The book's backward passes -----------------------------------------------------------------


def test_softmax_saves_only_its_output() -> None:
    z = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    s = softmax(z)
    saved = s.grad_fn.saved_tensors
    assert len(saved) == 1 and torch.equal(saved[0], s)


def test_log_softmax_saves_only_its_output() -> None:
    z = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = log_softmax(z, temperature=2.0)
    saved = y.grad_fn.saved_tensors
    assert len(saved) == 1 and torch.equal(saved[0], y)


@given(logit_batches(), st.sampled_from([0.5, 1.0, 3.0]))
def test_softmax_backward_is_the_vjp_of_the_derivatives_chapter(
    z: torch.Tensor, temperature: float
) -> None:
    z = z.requires_grad_()
    g = torch.linspace(-1.0, 2.0, z.numel(), dtype=z.dtype).reshape(z.shape)
    s = softmax(z, temperature=temperature)
    (gradient,) = torch.autograd.grad(s, z, g)
    s = s.detach()
    expected = s * (g - (g * s).sum(-1, keepdim=True)) / temperature
    torch.testing.assert_close(gradient, expected)


@given(logit_batches(), st.sampled_from([0.5, 1.0, 3.0]))
def test_log_softmax_backward_is_g_minus_s_times_the_sum_of_g(
    z: torch.Tensor, temperature: float
) -> None:
    z = z.requires_grad_()
    g = torch.linspace(-1.0, 2.0, z.numel(), dtype=z.dtype).reshape(z.shape)
    (gradient,) = torch.autograd.grad(log_softmax(z, temperature=temperature), z, g)
    s = softmax(z.detach(), temperature=temperature)
    torch.testing.assert_close(gradient, (g - s * g.sum(-1, keepdim=True)) / temperature)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("function", [softmax, log_softmax])
def test_low_precision_gradients_match_torch(function, dtype: torch.dtype) -> None:
    z = torch.randn(4, 9, generator=torch.Generator().manual_seed(2)).to(dtype)
    g = torch.randn(4, 9, generator=torch.Generator().manual_seed(3)).to(dtype)
    ours = torch.autograd.grad(function(z.requires_grad_()), z, g)[0]
    reference = {softmax: torch.softmax, log_softmax: torch.log_softmax}[function]
    theirs = torch.autograd.grad(reference(z.float(), -1), z, g.float())[0]
    assert ours.dtype == dtype
    # Both round a float32 gradient once; ours starts from the saved, rounded output.
    eps = torch.finfo(dtype).eps
    torch.testing.assert_close(ours.float(), theirs.float(), atol=4 * eps, rtol=4 * eps)


# --- Input types ---------------------------------------------------------------------------------


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("dim", [np.int64(0), np.int32(-1), torch.tensor(1)], ids=str)
def test_dim_accepts_any_integer_type(function, dim: object) -> None:
    z = torch.tensor([[1.0, 2.0], [3.0, 5.0]])
    torch.testing.assert_close(function(z, dim), function(z, int(dim)))


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("dim", [1.0, "1", None, True])
def test_dim_of_another_type_is_a_type_error(function, dim: object) -> None:
    with pytest.raises(TypeError, match="dim must be an integer"):
        function(torch.zeros(2, 2), dim)


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("dtype", [torch.float8_e4m3fn, torch.float8_e5m2], ids=str)
def test_float8_is_a_type_error_naming_the_allowed_dtypes(function, dtype: torch.dtype) -> None:
    with pytest.raises(TypeError, match="float16, bfloat16, float32 or float64"):
        function(torch.zeros(3).to(dtype))


# --- Validation and the log1p form inside batches ---------------------------------------------


@settings(max_examples=60)
@given(
    st.integers(1, 5),
    st.integers(1, 9),
    st.sampled_from([0, 1]),
    st.sampled_from(["nan", "+inf", "only -inf"]),
    st.data(),
)
def test_a_bad_slice_is_found_wherever_it_is(
    rows: int, k: int, dim: int, kind: str, data: st.DataObject
) -> None:
    z = torch.randn(rows, k, generator=torch.Generator().manual_seed(rows * k))
    slices = z.movedim(dim, -1)
    bad = data.draw(st.integers(0, slices.shape[0] - 1))
    where = data.draw(st.integers(0, slices.shape[1] - 1))
    if kind == "only -inf":
        slices[bad] = -INF
    else:
        slices[bad, where] = NAN if kind == "nan" else INF
    message = {"nan": "NaN", "+inf": r"\+inf", "only -inf": "entirely -inf"}[kind]
    for function in (softmax, log_softmax):
        with pytest.raises(ValueError, match=message):
            function(z, dim)
    if kind == "only -inf":
        assert logsumexp(z, dim)[bad] == -INF
    else:
        with pytest.raises(ValueError, match=message):
            logsumexp(z, dim)


def test_confident_and_other_slices_are_accurate_in_one_batch() -> None:
    # Rows 0 and 2 are confident (the other terms sum to far below 1), rows 1
    # and 3 are not: every log-probability and lse is within a few units of
    # roundoff of the float64 value of the float32 inputs.
    z = torch.tensor(
        [
            [0.0, -18.0, -19.0, -30.0],
            [0.5, 0.25, 0.0, -1.0],
            [-7.0, 9.0, -12.0, -15.0],
            [2.0, 2.0, 1.0, 0.0],
        ]
    )
    reference = torch.log_softmax(z.double(), dim=1)
    ours = log_softmax(z, dim=1).double()
    assert bool(((ours - reference).abs() <= 4 * 2**-24 * reference.abs()).all())
    lse = torch.logsumexp(z.double(), dim=1)
    assert bool(((logsumexp(z, dim=1).double() - lse).abs() <= 4 * 2**-24 * lse.abs()).all())


# torch's forward mode loads its decompositions with torch.jit.script, which warns.
@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
@pytest.mark.parametrize("function", [softmax, log_softmax])
def test_forward_mode_gives_the_jacobian_vector_product(function) -> None:
    import torch.autograd.forward_ad as forward_ad

    z = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    v = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
    reference = {softmax: torch.softmax, log_softmax: torch.log_softmax}[function]
    tangents = []
    for f in (lambda u: function(u, temperature=2.0), lambda u: reference(u / 2.0, -1)):
        with forward_ad.dual_level():
            tangents.append(forward_ad.unpack_dual(f(forward_ad.make_dual(z, v))).tangent)
    torch.testing.assert_close(tangents[0], tangents[1], rtol=0.0, atol=1e-14)
