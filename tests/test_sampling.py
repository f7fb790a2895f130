"""Tests for omnivault.sampling: greedy, sample (temperature, top-k, top-p) and gumbel_max."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare

from omnivault.sampling import filter_logits, greedy, gumbel_max, sample
from omnivault.softmax import softmax

ALPHA = 1e-3  # significance level of every goodness-of-fit test below
N_DRAWS = 20_000
LOGITS = torch.tensor([0.5, -1.0, 2.0, 0.0, 1.0], dtype=torch.float64)

# Logits with distinct values: multiples of 1/8 in [-10, 10], exact in float64.
distinct_logits = st.lists(
    st.integers(min_value=-80, max_value=80), min_size=1, max_size=12, unique=True
).map(lambda xs: torch.tensor(xs, dtype=torch.float64) / 8)
any_logits = st.lists(
    st.floats(min_value=-20, max_value=20, allow_nan=False), min_size=1, max_size=12
).map(lambda xs: torch.tensor(xs, dtype=torch.float64))
temperatures = st.floats(min_value=0.05, max_value=20.0)
top_ps = st.floats(min_value=0.01, max_value=1.0)


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def chi_square_p_value(draws: torch.Tensor, probs: torch.Tensor) -> float:
    """p-value of Pearson's chi-square test of `draws` against `probs`.

    Classes with probability 0 are left out of the test; the caller checks
    separately that they were never drawn. The chi-square approximation needs
    every expected count to be at least about 5, so smaller ones are refused.
    """
    probs = probs.double()
    counts = torch.bincount(draws.flatten(), minlength=probs.numel()).double()
    support = probs > 0
    expected = probs[support] / probs[support].sum() * counts[support].sum()
    assert float(expected.min()) >= 5, "expected count below 5: use more draws or pool classes"
    return float(chisquare(counts[support].numpy(), expected.numpy()).pvalue)


def support(filtered: torch.Tensor) -> set[int]:
    return {int(i) for i in torch.nonzero(torch.isfinite(filtered)).flatten()}


def brute_force_nucleus(z: list[float], p: float, k: int | None = None) -> set[int]:
    """Top-k, then the shortest prefix of the ranking whose mass reaches p, by plain Python."""
    ranking = sorted(range(len(z)), key=lambda i: (-z[i], i))
    if k is not None:
        ranking = ranking[:k]
    weights = [math.exp(z[i] - z[ranking[0]]) for i in ranking]
    total = sum(weights)
    kept: set[int] = set()
    mass = 0.0
    for i, w in zip(ranking, weights, strict=True):
        kept.add(i)
        mass += w / total
        if mass >= p:
            break
    return kept


# --- greedy -------------------------------------------------------------------


@settings(deadline=None)
@given(st.integers(min_value=1, max_value=4), st.integers(min_value=1, max_value=8), st.data())
def test_greedy_equals_argmax(n_rows: int, k: int, data: st.DataObject) -> None:
    # Small integers make ties frequent: argmax and greedy must agree on them too.
    entries = st.integers(min_value=-3, max_value=3).map(float) | st.just(-math.inf)
    row = st.lists(entries, min_size=k, max_size=k)
    rows = data.draw(st.lists(row, min_size=n_rows, max_size=n_rows))
    z = torch.tensor(rows, dtype=torch.float64)
    assume(bool((z > -math.inf).any(dim=-1).all()))
    assert torch.equal(greedy(z), torch.argmax(z, dim=-1))
    assert torch.equal(greedy(z[0]), torch.argmax(z[0]))


def test_greedy_breaks_ties_by_first_index() -> None:
    z = torch.tensor([[0.0, 5.0, 5.0], [1.0, 1.0, 1.0], [-math.inf, 2.0, 2.0]])
    assert greedy(z).tolist() == [1, 0, 1]


@settings(deadline=None)
@given(distinct_logits, temperatures)
def test_greedy_is_invariant_under_temperature(z: torch.Tensor, temperature: float) -> None:
    assert torch.equal(greedy(z / temperature), greedy(z))


@settings(deadline=None)
@given(distinct_logits)
def test_sample_at_low_temperature_is_greedy(z: torch.Tensor) -> None:
    draws = sample(z, temperature=1e-3, num_samples=16, generator=gen(0))
    assert bool((draws == greedy(z)).all())


# --- shapes and reproducibility ----------------------------------------------


@pytest.mark.parametrize("shape", [(5,), (3, 5), (2, 3, 5), (1,)])
@pytest.mark.parametrize("num_samples", [1, 4])
def test_sample_has_shape_batch_by_num_samples(shape: tuple[int, ...], num_samples: int) -> None:
    draws = sample(torch.randn(shape, generator=gen(1)), num_samples=num_samples, generator=gen(2))
    assert draws.shape == (*shape[:-1], num_samples)
    assert draws.dtype == torch.long
    assert bool(((draws >= 0) & (draws < shape[-1])).all())


@pytest.mark.parametrize("shape", [(5,), (3, 5), (2, 3, 5)])
def test_greedy_and_gumbel_max_have_one_index_per_row(shape: tuple[int, ...]) -> None:
    z = torch.randn(shape, generator=gen(1))
    assert greedy(z).shape == shape[:-1]
    assert gumbel_max(z, generator=gen(2)).shape == shape[:-1]
    assert greedy(z).dtype == gumbel_max(z).dtype == torch.long


def test_empty_batch_gives_empty_result() -> None:
    z = torch.zeros(0, 3)
    assert sample(z, num_samples=2).shape == (0, 2)
    assert greedy(z).shape == (0,)
    assert gumbel_max(z).shape == (0,)


@pytest.mark.parametrize("shape", [(4, 4), (2, 2, 4)])
def test_sample_rows_use_their_own_distribution(shape: tuple[int, ...]) -> None:
    # Row r of the flattened batch can only produce class r % 4.
    rows = math.prod(shape[:-1])
    allowed = torch.arange(rows) % 4
    z = torch.full((rows, 4), -math.inf)
    z[torch.arange(rows), allowed] = 0.0
    z = z.reshape(shape)
    draws = sample(z, num_samples=3, generator=gen(0))
    assert torch.equal(draws, allowed.reshape(*shape[:-1], 1).expand(*shape[:-1], 3))
    assert torch.equal(gumbel_max(z, generator=gen(0)), allowed.reshape(shape[:-1]))


def test_sample_is_reproducible_with_equal_generator_seeds() -> None:
    z = torch.randn(3, 7, generator=gen(0))
    kwargs: dict[str, Any] = {"temperature": 0.7, "top_k": 5, "top_p": 0.9, "num_samples": 50}
    first = sample(z, **kwargs, generator=gen(123))
    assert torch.equal(first, sample(z, **kwargs, generator=gen(123)))
    assert not torch.equal(first, sample(z, **kwargs, generator=gen(124)))


def test_gumbel_max_is_reproducible_with_equal_generator_seeds() -> None:
    z = torch.randn(200, 7, generator=gen(0))
    first = gumbel_max(z, generator=gen(123))
    assert torch.equal(first, gumbel_max(z, generator=gen(123)))
    assert not torch.equal(first, gumbel_max(z, generator=gen(124)))


# --- top-k and top-p ------------------------------------------------------------


@settings(deadline=None)
@given(distinct_logits, st.integers(min_value=1, max_value=15))
def test_top_k_support_is_exactly_the_k_largest(z: torch.Tensor, k: int) -> None:
    filtered = filter_logits(z, top_k=k)
    largest = set(sorted(range(z.numel()), key=lambda i: -float(z[i]))[:k])
    assert support(filtered) == largest
    kept = torch.isfinite(filtered)
    assert torch.equal(filtered[kept], z[kept])
    assert bool((filtered[~kept] == -math.inf).all())


def test_top_k_ties_keep_the_lowest_indices() -> None:
    z = torch.tensor([1.0, 3.0, 3.0, 2.0, 3.0])
    assert support(filter_logits(z, top_k=2)) == {1, 2}


@settings(deadline=None)
@given(any_logits, top_ps, st.none() | st.integers(min_value=1, max_value=15))
def test_top_p_support_is_smallest_prefix_reaching_p(
    z: torch.Tensor, p: float, k: int | None
) -> None:
    # Skip cases where a prefix mass is within rounding of p (the boundary is then ambiguous).
    ranking = sorted(range(z.numel()), key=lambda i: (-float(z[i]), i))[: k or z.numel()]
    masses = torch.cumsum(softmax(z[ranking], dim=-1), dim=-1)
    assume(bool(((masses - p).abs() > 1e-9).all()))
    expected = brute_force_nucleus(z.tolist(), p, k)
    assert support(filter_logits(z, top_k=k, top_p=p)) == expected


@settings(deadline=None)
@given(any_logits, st.integers(min_value=0, max_value=5))
def test_top_k_at_least_K_means_no_filtering(z: torch.Tensor, extra: int) -> None:
    k = z.numel() + extra
    assert torch.equal(filter_logits(z, top_k=k), z)
    expected = sample(z, num_samples=20, generator=gen(5))
    assert torch.equal(sample(z, top_k=k, num_samples=20, generator=gen(5)), expected)


@settings(deadline=None)
@given(any_logits)
def test_top_p_one_means_no_filtering(z: torch.Tensor) -> None:
    assert torch.equal(filter_logits(z, top_p=1.0), z)
    expected = sample(z, num_samples=20, generator=gen(5))
    assert torch.equal(sample(z, top_p=1.0, num_samples=20, generator=gen(5)), expected)


@settings(deadline=None)
@given(distinct_logits, temperatures, temperatures, st.integers(min_value=1, max_value=15))
def test_top_k_support_does_not_depend_on_temperature(
    z: torch.Tensor, t1: float, t2: float, k: int
) -> None:
    assert support(filter_logits(z / t1, top_k=k)) == support(filter_logits(z / t2, top_k=k))


@settings(deadline=None)
@given(distinct_logits, temperatures, temperatures, top_ps)
def test_top_p_nucleus_shrinks_as_temperature_falls(
    z: torch.Tensor, t1: float, t2: float, p: float
) -> None:
    low, high = min(t1, t2), max(t1, t2)
    for t in (low, high):
        masses = torch.cumsum(torch.sort(softmax(z / t), descending=True).values, dim=-1)
        assume(bool(((masses - p).abs() > 1e-9).all()))
    assert support(filter_logits(z / low, top_p=p)) <= support(filter_logits(z / high, top_p=p))


@pytest.mark.parametrize("temperature", [1.0, 0.5, 3.0])
def test_sample_top_k_ranks_the_logits_before_rounding(temperature: float) -> None:
    # In float32, 1e-9 - 1 rounds to -1 = 0 - 1: shifting or scaling first would tie
    # class 2 (logit 1e-9) with class 1 (logit 0) and keep the wrong one.
    z = torch.tensor([1.0, 0.0, 1e-9])
    draws = sample(z, temperature=temperature, top_k=2, num_samples=2_000, generator=gen(0))
    assert set(draws.tolist()) == support(filter_logits(z, top_k=2)) == {0, 2}


def test_top_p_stops_at_the_token_whose_mass_reaches_p() -> None:
    # Four equal logits: prefix masses 0.25, 0.5, 0.75, 1 are exact in binary floating point.
    z = torch.zeros(4)
    assert support(filter_logits(z, top_p=0.5)) == {0, 1}
    assert support(filter_logits(z, top_p=0.5 + 1e-6)) == {0, 1, 2}
    assert support(filter_logits(z, top_p=0.25)) == {0}
    assert support(filter_logits(z, top_p=1e-9)) == {0}


def test_top_p_is_applied_to_the_top_k_renormalised_distribution() -> None:
    # softmax(z) = [0.6439, 0.2369, 0.0871, 0.0321]; after top-2 it is [0.7311, 0.2689].
    z = torch.tensor([3.0, 2.0, 1.0, 0.0])
    assert support(filter_logits(z, top_p=0.7)) == {0, 1}
    assert support(filter_logits(z, top_k=2, top_p=0.7)) == {0}


def test_sample_never_draws_removed_or_minus_inf_classes() -> None:
    z = torch.tensor([2.0, -math.inf, 1.0, 0.5, -math.inf, 0.0])
    draws = sample(z, num_samples=5_000, generator=gen(0))
    assert set(draws.tolist()) == {0, 2, 3, 5}
    draws = sample(z, top_k=2, num_samples=5_000, generator=gen(0))
    assert set(draws.tolist()) == {0, 2}
    z_rows = z.expand(5_000, 6)
    assert set(gumbel_max(z_rows, generator=gen(0)).tolist()) == {0, 2, 3, 5}


# --- frequencies against softmax (chi-square goodness of fit) -----------------


@pytest.mark.parametrize("temperature", [0.5, 1.0, 3.0])
def test_sample_frequencies_match_softmax(temperature: float) -> None:
    draws = sample(LOGITS, temperature=temperature, num_samples=N_DRAWS, generator=gen(0))
    assert chi_square_p_value(draws, softmax(LOGITS, temperature=temperature)) > ALPHA


def test_batched_sample_frequencies_match_softmax() -> None:
    z = torch.stack([LOGITS, LOGITS.flip(0)])
    draws = sample(z, num_samples=N_DRAWS, generator=gen(1))
    for row in range(2):
        assert chi_square_p_value(draws[row], softmax(z[row])) > ALPHA


def test_gumbel_max_matches_softmax_frequencies() -> None:
    draws = gumbel_max(LOGITS.expand(N_DRAWS, -1), generator=gen(0))
    assert chi_square_p_value(draws, softmax(LOGITS)) > ALPHA


def test_gumbel_max_float32_matches_softmax_frequencies() -> None:
    z = LOGITS.float()
    draws = gumbel_max(z.expand(N_DRAWS, -1), generator=gen(3))
    assert chi_square_p_value(draws, softmax(z)) > ALPHA


@pytest.mark.parametrize(
    ("temperature", "top_k", "top_p"), [(1.0, 3, None), (0.7, None, 0.8), (2.0, 4, 0.9)]
)
def test_truncated_sample_frequencies_match_renormalised_softmax(
    temperature: float, top_k: int | None, top_p: float | None
) -> None:
    draws = sample(
        LOGITS,
        temperature=temperature,
        top_k=top_k,
        top_p=top_p,
        num_samples=N_DRAWS,
        generator=gen(2),
    )
    target = softmax(filter_logits(LOGITS / temperature, top_k=top_k, top_p=top_p))
    assert set(draws.unique().tolist()) == {int(i) for i in torch.nonzero(target > 0)}
    assert chi_square_p_value(draws, target) > ALPHA


NEARBY_WRONG_TARGETS = {
    "temperature 1.1 instead of 1": softmax(LOGITS, temperature=1.1),
    "two probabilities exchanged": softmax(LOGITS)[[0, 1, 2, 4, 3]],
}


@pytest.mark.parametrize("wrong", list(NEARBY_WRONG_TARGETS))
def test_chi_square_check_rejects_a_nearby_wrong_distribution(wrong: str) -> None:
    # The goodness-of-fit checks above can fail: the draws that pass against
    # softmax(LOGITS) in test_sample_frequencies_match_softmax are rejected here.
    draws = sample(LOGITS, num_samples=N_DRAWS, generator=gen(0))
    assert chi_square_p_value(draws, NEARBY_WRONG_TARGETS[wrong]) < ALPHA


def test_gumbel_max_guards_a_uniform_draw_of_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    # If every uniform draw were 0, all noise would be equal and finite: the argmax wins.
    def zeros(shape: torch.Size, **kwargs: Any) -> torch.Tensor:
        return torch.zeros(shape, dtype=torch.float64)

    monkeypatch.setattr(torch, "rand", zeros)
    z = torch.tensor([[0.0, 1.0, -math.inf], [5.0, 1.0, 2.0]])
    assert gumbel_max(z).tolist() == [1, 0]


# --- dtypes, inputs untouched, bad input ------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_is_computed_in_float32(dtype: torch.dtype) -> None:
    z = torch.randn(4, 6, generator=gen(0)).to(dtype)
    kwargs: dict[str, Any] = {"temperature": 0.8, "top_k": 4, "top_p": 0.9, "num_samples": 10}
    assert torch.equal(
        sample(z, **kwargs, generator=gen(1)), sample(z.float(), **kwargs, generator=gen(1))
    )
    assert torch.equal(gumbel_max(z, generator=gen(1)), gumbel_max(z.float(), generator=gen(1)))
    assert torch.equal(greedy(z), greedy(z.float()))
    filtered = filter_logits(z, top_k=3)
    assert filtered.dtype == dtype
    assert torch.equal(filtered.float(), filter_logits(z.float(), top_k=3))


CALLS: dict[str, Callable[[torch.Tensor], Any]] = {
    "greedy": greedy,
    "sample": lambda z: sample(
        z, temperature=0.3, top_k=2, top_p=0.5, num_samples=3, generator=gen(0)
    ),
    "gumbel_max": lambda z: gumbel_max(z, generator=gen(0)),
    "filter_logits": lambda z: filter_logits(z, top_k=2, top_p=0.5),
}


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
@pytest.mark.parametrize("name", list(CALLS))
def test_inputs_are_not_modified(name: str, dtype: torch.dtype) -> None:
    z = torch.tensor([[0.5, -math.inf, 2.0, 0.0], [1.0, 1.0, -3.0, 4.0]], dtype=dtype)
    before = z.clone()
    CALLS[name](z)
    assert torch.equal(z, before)


NAN = float("nan")
INF = float("inf")
BAD_INPUTS: list[tuple[str, Callable[..., Any], Any, dict[str, Any], type[Exception], str]] = []
for name, fn in [
    ("greedy", greedy),
    ("sample", sample),
    ("gumbel_max", gumbel_max),
    ("filter_logits", filter_logits),
]:
    BAD_INPUTS += [
        (name, fn, torch.tensor([1, 2, 3]), {}, TypeError, "floating dtype"),
        (name, fn, [1.0, 2.0], {}, TypeError, r"torch\.Tensor"),
        (name, fn, torch.tensor(1.0), {}, ValueError, "0-d"),
        (name, fn, torch.zeros(3, 0), {}, ValueError, "at least one class"),
        (name, fn, torch.tensor([1.0, NAN]), {}, ValueError, "NaN"),
        (name, fn, torch.tensor([1.0, INF]), {}, ValueError, r"\+inf"),
        (name, fn, torch.tensor([[0.0, 1.0], [-INF, -INF]]), {}, ValueError, "entirely -inf"),
    ]
BAD_INPUTS += [
    ("sample", sample, torch.zeros(3), {"temperature": t}, ValueError, "temperature must be")
    for t in [0.0, -1.0, NAN, INF, True, "1"]
]
BAD_INPUTS += [
    ("sample", sample, torch.zeros(3), {"num_samples": n}, ValueError, "num_samples must be")
    for n in [0, -1, 2.0, False]
]
for name, fn in [("sample", sample), ("filter_logits", filter_logits)]:
    BAD_INPUTS += [
        (name, fn, torch.zeros(3), {"top_k": k}, ValueError, "top_k must be")
        for k in [0, -2, 2.0, True]
    ]
    BAD_INPUTS += [
        (name, fn, torch.zeros(3), {"top_p": p}, ValueError, "top_p must be")
        for p in [0.0, -0.1, 1.5, NAN, True, "0.5", 10**400]
    ]


@pytest.mark.parametrize(
    ("fn", "logits", "kwargs", "error", "match"),
    [case[1:] for case in BAD_INPUTS],
    ids=[f"{case[0]}-{i}" for i, case in enumerate(BAD_INPUTS)],
)
def test_bad_input_raises(
    fn: Callable[..., Any], logits: Any, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        fn(logits, **kwargs)


def test_numpy_input_is_rejected_with_type_error() -> None:
    with pytest.raises(TypeError, match=r"torch\.Tensor"):
        sample(np.zeros(3))  # type: ignore[arg-type]


# --- Exactness in corners -------------------------------------------------------


@settings(deadline=None)
@given(st.integers(min_value=1, max_value=300), st.data())
def test_top_p_of_uniform_logits_keeps_exactly_p_times_k(k: int, data: st.DataObject) -> None:
    # With K equal logits and p = m / K the nucleus has exactly m classes; summed in
    # floating point the m probabilities may fall a rounding short of p.
    m = data.draw(st.integers(min_value=1, max_value=k))
    dtype = data.draw(st.sampled_from([torch.float32, torch.float64, torch.bfloat16]))
    kept = filter_logits(torch.zeros(k, dtype=dtype), top_p=m / k)
    assert int(torch.isfinite(kept).sum()) == m


def test_top_p_of_25_uniform_logits_at_one_fifth_keeps_5() -> None:
    assert int(torch.isfinite(filter_logits(torch.zeros(25), top_p=0.2)).sum()) == 5


@settings(deadline=None)
@given(distinct_logits, temperatures, top_ps)
def test_filter_logits_measures_top_p_mass_at_the_temperature(
    z: torch.Tensor, temperature: float, p: float
) -> None:
    ranking = sorted(range(z.numel()), key=lambda i: (-float(z[i]), i))
    masses = torch.cumsum(softmax(z[ranking], temperature=temperature), dim=-1)
    assume(bool(((masses - p).abs() > 1e-9).all()))
    expected = brute_force_nucleus((z / temperature).tolist(), p)
    assert support(filter_logits(z, temperature=temperature, top_p=p)) == expected


def test_filter_logits_ranks_the_raw_logits_at_any_temperature() -> None:
    # In float32, (1e-9 - 1) / T rounds like (0 - 1) / T: ranking z / T would tie them.
    z = torch.tensor([1.0, 0.0, 1e-9])
    for temperature in (0.5, 3.0):
        assert support(filter_logits(z, temperature=temperature, top_k=2)) == {0, 2}


@pytest.mark.parametrize("temperature", [0.0, -1.0, math.nan, math.inf])
def test_filter_logits_rejects_an_invalid_temperature(temperature: float) -> None:
    with pytest.raises(ValueError, match="temperature must be a finite real number > 0"):
        filter_logits(torch.zeros(3), temperature=temperature, top_p=0.5)


def test_gumbel_max_draws_the_larger_of_two_logits_one_spacing_apart() -> None:
    # Near 2**56 float64 logits are 16 apart: softmax gives the larger 1 - e^-16.
    big = 2.0**56
    z = torch.tensor([big, big + 16.0], dtype=torch.float64)
    draws = gumbel_max(z.expand(2_000, 2), generator=gen(0))
    assert int(draws.sum()) == 2_000


def test_gumbel_max_matches_softmax_frequencies_for_huge_logits() -> None:
    # Near 2**50 the spacing of float64 is 0.25: noise added to the raw logits is rounded.
    z = 2.0**50 + torch.tensor([0.0, 0.5, 1.0, 0.25], dtype=torch.float64)
    draws = gumbel_max(z.expand(N_DRAWS, 4), generator=gen(4))
    assert chi_square_p_value(draws, softmax(z - z.max())) > ALPHA


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
@pytest.mark.parametrize("temperature", [1e-46, 1e-30, 3.5e38, 1e300])
def test_sample_works_at_every_accepted_temperature(dtype: torch.dtype, temperature: float) -> None:
    z = torch.tensor([1.0, 3.0, 2.0, -math.inf], dtype=dtype)
    draws = sample(z, temperature=temperature, num_samples=500, generator=gen(0))
    kept = filter_logits(z, temperature=temperature, top_p=0.5)
    if temperature < 1:  # one-hot on the maximiser
        assert set(draws.tolist()) == {1}
        assert support(kept) == {1}
    else:  # uniform on the three finite logits
        assert set(draws.tolist()) == {0, 1, 2}
        assert support(kept) == {1, 2}
