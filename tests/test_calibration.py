"""Tests for omnivault.calibration: ECE, temperature scaling and reliability diagrams."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import matplotlib
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from omnivault.calibration import (
    expected_calibration_error,
    fit_temperature,
    reliability_diagram,
)
from omnivault.softmax import log_softmax, softmax

matplotlib.use("Agg")

F64 = torch.float64


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


@st.composite
def classification_data(
    draw: st.DrawFn, max_n: int = 40, max_k: int = 6
) -> tuple[torch.Tensor, torch.Tensor]:
    """Float64 logits of shape (N, K) on a grid of step 1/4 (no accidental near-ties)
    and integer labels of shape (N,)."""
    n = draw(st.integers(1, max_n))
    k = draw(st.integers(2, max_k))
    grid = draw(st.lists(st.integers(-40, 40), min_size=n * k, max_size=n * k))
    labels = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    logits = torch.tensor(grid, dtype=F64).reshape(n, k) / 4
    return logits, torch.tensor(labels)


def nll(logits: torch.Tensor, labels: torch.Tensor) -> float:
    return float(-log_softmax(logits.to(F64), dim=1).gather(1, labels[:, None]).mean())


def quietly_fit(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """fit_temperature with the no-minimiser warning silenced (random data may have none)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fit_temperature(logits, labels)


# --------------------------------------------------------------------------- ECE by hand


def test_ece_is_zero_when_every_bin_is_calibrated() -> None:
    # Ten samples at confidence 0.8 with eight correct, four at 0.5 (tie -> class 0)
    # with two correct: accuracy equals confidence in both bins.
    probs = torch.tensor([[0.8, 0.2]] * 10 + [[0.5, 0.5]] * 4, dtype=F64)
    labels = torch.tensor([0] * 8 + [1] * 2 + [0, 0, 1, 1])
    assert expected_calibration_error(probs, labels) == pytest.approx(0.0, abs=1e-12)


def test_ece_of_two_samples_in_different_bins() -> None:
    # 0.9 (correct) and 0.6 (wrong) fall in different bins: (|1 - 0.9| + |0 - 0.6|) / 2.
    probs = torch.tensor([[0.9, 0.1], [0.6, 0.4]], dtype=F64)
    assert expected_calibration_error(probs, torch.tensor([0, 1])) == pytest.approx(0.35)


def test_ece_of_two_samples_in_the_same_bin() -> None:
    # 0.90 (correct) and 0.92 (wrong) share the bin (13/15, 14/15]: |1/2 - 0.91|.
    probs = torch.tensor([[0.90, 0.10], [0.92, 0.08]], dtype=F64)
    assert expected_calibration_error(probs, torch.tensor([0, 1])) == pytest.approx(0.41)


@settings(deadline=None, max_examples=30)
@given(confidence=st.floats(0.5, 1.0), n=st.integers(1, 20))
def test_ece_of_confidently_wrong_predictions_is_the_confidence(confidence: float, n: int) -> None:
    probs = torch.tensor([[confidence, 1.0 - confidence]] * n, dtype=F64)
    labels = torch.ones(n, dtype=torch.long)
    assert expected_calibration_error(probs, labels) == pytest.approx(confidence, rel=1e-12)


def test_ece_bin_edges_are_right_closed() -> None:
    # 0.6 = 9/15 belongs to (8/15, 9/15]; 2/3 = 10/15 to (9/15, 10/15]. With one sample
    # correct in each, the bins differ, so ECE = ((1 - 0.6) + (1 - 2/3)) / 2.
    probs = torch.tensor([[0.6, 0.4], [2 / 3, 1 / 3]], dtype=F64)
    expected = ((1 - 0.6) + (1 - 2 / 3)) / 2
    assert expected_calibration_error(probs, torch.tensor([0, 0])) == pytest.approx(expected)


def test_ece_accepts_low_precision_probabilities() -> None:
    probs = softmax(torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.5]]), dim=1)
    labels = torch.tensor([0, 2])
    expected = expected_calibration_error(probs.to(F64), labels)
    for dtype in (torch.float16, torch.bfloat16):
        ece = expected_calibration_error(probs.to(dtype), labels)
        assert ece == pytest.approx(expected, abs=1e-2)


# --------------------------------------------------------------------------- ECE properties


@settings(deadline=None, max_examples=30)
@given(data=classification_data(), seed=st.integers(0, 2**31 - 1))
def test_ece_is_invariant_under_permutation(
    data: tuple[torch.Tensor, torch.Tensor], seed: int
) -> None:
    logits, labels = data
    probs = softmax(logits, dim=1)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    assert expected_calibration_error(probs[order], labels[order]) == pytest.approx(
        expected_calibration_error(probs, labels), rel=1e-12, abs=1e-12
    )


@settings(deadline=None, max_examples=30)
@given(data=classification_data())
def test_ece_with_one_bin_is_the_gap_between_accuracy_and_confidence(
    data: tuple[torch.Tensor, torch.Tensor],
) -> None:
    logits, labels = data
    probs = softmax(logits, dim=1)
    confidence, prediction = probs.max(dim=1)
    gap = abs(float((prediction == labels).to(F64).mean() - confidence.mean()))
    assert expected_calibration_error(probs, labels, n_bins=1) == pytest.approx(gap, abs=1e-12)


@settings(deadline=None, max_examples=30)
@given(data=classification_data(), n_bins=st.integers(1, 30))
def test_ece_never_decreases_when_the_bins_are_refined(
    data: tuple[torch.Tensor, torch.Tensor], n_bins: int
) -> None:
    # M -> 2M bins nests the edges; by the triangle inequality (the chapter's
    # Exercise 2) the finer partition cannot give a smaller ECE.
    logits, labels = data
    probs = softmax(logits, dim=1)
    coarse = expected_calibration_error(probs, labels, n_bins=n_bins)
    fine = expected_calibration_error(probs, labels, n_bins=2 * n_bins)
    assert coarse <= fine + 1e-12


# --------------------------------------------------------------------------- fit_temperature


@pytest.mark.parametrize(
    ("n_correct", "n_wrong", "gap"),
    [(2, 1, 1.0), (9, 1, 2.0), (3, 1, 0.5), (7, 3, 4.0)],
)
def test_fit_temperature_matches_the_closed_form(n_correct: int, n_wrong: int, gap: float) -> None:
    # Every row is [gap, 0]; the NLL is minimised where sigmoid(gap / T) equals the
    # accuracy a, i.e. T = gap / logit(a).
    n = n_correct + n_wrong
    logits = torch.tensor([[gap, 0.0]] * n)
    labels = torch.tensor([0] * n_correct + [1] * n_wrong)
    accuracy = n_correct / n
    expected = gap / math.log(accuracy / (1 - accuracy))
    assert fit_temperature(logits, labels) == pytest.approx(expected, rel=1e-9)


def synthetic_overconfident_data(
    n: int = 3000, k: int = 10, factor: float = 3.0, seed: int = 1234
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Labels drawn from softmax(z) of seeded logits z; the model reports factor * z."""
    generator = torch.Generator().manual_seed(seed)
    z = 1.5 * torch.randn(n, k, generator=generator, dtype=F64)
    labels = torch.multinomial(softmax(z, dim=1), 1, generator=generator).squeeze(1)
    return z, factor * z, labels


# T is a maximum-likelihood estimate: its relative standard error is about
# 1 / sqrt(N * mean Var_p(z)) = 1.9% here (Fisher information of beta = 1 / T).
# The tolerance, 6%, is three standard errors; the seed gives 3.004 and 1.001.


@pytest.mark.parametrize("factor", [3.0, 1.0], ids=["over-confident x3", "calibrated"])
def test_fit_temperature_recovers_a_known_overconfidence_factor(factor: float) -> None:
    _, reported, labels = synthetic_overconfident_data(factor=factor)
    assert fit_temperature(reported, labels) == pytest.approx(factor, rel=0.06)


def test_temperature_scaling_lowers_the_ece_of_overconfident_data() -> None:
    _, overconfident, labels = synthetic_overconfident_data()
    temperature = fit_temperature(overconfident, labels)
    before = expected_calibration_error(softmax(overconfident, dim=1), labels)
    after = expected_calibration_error(softmax(overconfident / temperature, dim=1), labels)
    assert after < before / 3


def test_temperature_scaling_lowers_the_nll_of_overconfident_data() -> None:
    _, overconfident, labels = synthetic_overconfident_data()
    temperature = fit_temperature(overconfident, labels)
    assert nll(overconfident / temperature, labels) < nll(overconfident, labels)


@settings(deadline=None, max_examples=30)
@given(data=classification_data())
def test_fit_temperature_preserves_argmax_and_accuracy(
    data: tuple[torch.Tensor, torch.Tensor],
) -> None:
    logits, labels = data
    temperature = quietly_fit(logits, labels)
    assume(0 < temperature < math.inf)
    scaled = softmax(logits, dim=1, temperature=temperature)
    assert torch.equal(scaled.argmax(dim=1), logits.argmax(dim=1))


@settings(deadline=None, max_examples=60)
@given(data=classification_data())
def test_fit_temperature_minimises_the_nll(data: tuple[torch.Tensor, torch.Tensor]) -> None:
    logits, labels = data
    temperature = quietly_fit(logits, labels)
    if temperature == 0.0:  # the NLL must keep falling as T -> 0
        values = [nll(logits / t, labels) for t in (1.0, 0.1, 0.01)]
        assert values[0] > values[1] > values[2]
    elif temperature == math.inf:  # ... or as T -> inf
        values = [nll(logits / t, labels) for t in (1.0, 10.0, 100.0)]
        assert values[0] >= values[1] >= values[2]
    else:
        best = nll(logits / temperature, labels)
        for factor in (0.9, 0.99, 1.01, 1.1):
            assert best <= nll(logits / (temperature * factor), labels) + 1e-12


@settings(deadline=None, max_examples=30)
@given(seed=st.integers(0, 2**31 - 1), scale=st.sampled_from([1e-3, 0.5, 2.0, 500.0, 1e6]))
def test_fit_temperature_is_scale_equivariant(seed: int, scale: float) -> None:
    # softmax(scale * z / (scale * T)) = softmax(z / T): the fitted T scales with the
    # logits, however large or small the scale.
    _, logits, labels = synthetic_overconfident_data(n=50, k=4, factor=1.0, seed=seed)
    temperature = quietly_fit(logits, labels)
    assume(0 < temperature < math.inf)
    assert quietly_fit(scale * logits, labels) == pytest.approx(scale * temperature, rel=1e-6)


def test_fit_temperature_finds_a_minimiser_far_outside_the_old_range() -> None:
    # A calibrated model's logits times 500: the minimiser is T = 500 (within noise),
    # where a search confined to [0.01, 100] returned 100.
    z, _, labels = synthetic_overconfident_data(n=3000, factor=1.0)
    temperature = fit_temperature(500 * z, labels)
    assert temperature == pytest.approx(500 * fit_temperature(z, labels), rel=1e-6)
    assert temperature == pytest.approx(500, rel=0.06)


def test_fit_temperature_is_not_fooled_by_an_underflowing_slope() -> None:
    # Logits of size 1e4 that rank every label first but one: a finite minimiser
    # exists (one mistake), at a large T; the slope of the other rows underflows to 0.
    generator = torch.Generator().manual_seed(7)
    z = 1e4 * torch.randn(200, 5, generator=generator, dtype=F64)
    labels = z.argmax(dim=1)
    labels[0] = (labels[0] + 1) % 5
    temperature = fit_temperature(z, labels)
    best = nll(z / temperature, labels)
    for factor in (0.5, 0.9, 1.1, 2.0):
        assert best < nll(z / (temperature * factor), labels)


def test_fit_temperature_warns_towards_zero_for_separable_huge_logits() -> None:
    generator = torch.Generator().manual_seed(7)
    z = 1e4 * torch.randn(200, 5, generator=generator, dtype=F64)
    with pytest.warns(RuntimeWarning, match="T -> 0"):
        assert fit_temperature(z, z.argmax(dim=1)) == 0.0


def test_fit_temperature_is_invariant_under_row_shifts() -> None:
    _, overconfident, labels = synthetic_overconfident_data(n=500)
    shifts = torch.linspace(-50.0, 50.0, 500, dtype=F64)[:, None]
    assert fit_temperature(overconfident + shifts, labels) == pytest.approx(
        fit_temperature(overconfident, labels), rel=1e-9
    )


@pytest.mark.parametrize(
    ("logits", "labels"),
    [
        (torch.full((4, 3), 2.5), torch.tensor([0, 1, 2, 0])),
        (torch.zeros(3, 1), torch.zeros(3, dtype=torch.long)),
    ],
    ids=["constant rows", "one class"],
)
def test_fit_temperature_returns_one_when_the_nll_does_not_depend_on_t(
    logits: torch.Tensor, labels: torch.Tensor
) -> None:
    assert fit_temperature(logits, labels) == 1.0


def test_fit_temperature_warns_and_returns_zero_when_every_label_ranks_first() -> None:
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    with pytest.warns(RuntimeWarning, match="T -> 0; returning 0.0"):
        assert fit_temperature(logits, torch.tensor([0, 1])) == 0.0


def test_fit_temperature_warns_and_returns_inf_when_worse_than_uniform() -> None:
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    with pytest.warns(RuntimeWarning, match="T -> inf; returning inf"):
        assert fit_temperature(logits, torch.tensor([1, 0])) == math.inf


def test_fit_temperature_is_deterministic() -> None:
    _, overconfident, labels = synthetic_overconfident_data(n=500)
    assert fit_temperature(overconfident, labels) == fit_temperature(overconfident, labels)


# --------------------------------------------------------------------------- reliability_diagram


@pytest.mark.parametrize("n_bins", [1, 5, 15])
def test_reliability_diagram_draws_one_bar_per_bin(n_bins: int) -> None:
    from matplotlib.axes import Axes

    probs = torch.tensor([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.55, 0.45]])
    ax = reliability_diagram(probs, torch.tensor([0, 1, 1, 0]), n_bins=n_bins)
    assert isinstance(ax, Axes)
    assert len(ax.containers[0]) == n_bins
    assert len(ax.containers[1]) == n_bins


def test_reliability_diagram_labels_its_axes() -> None:
    ax = reliability_diagram(torch.tensor([[0.9, 0.1], [0.6, 0.4]]), torch.tensor([0, 1]))
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("confidence", "accuracy")


def test_reliability_diagram_bars_show_accuracy_and_legend_shows_ece() -> None:
    probs = torch.tensor([[0.9, 0.1], [0.92, 0.08], [0.3, 0.7]], dtype=F64)
    labels = torch.tensor([0, 1, 1])
    ax = reliability_diagram(probs, labels, n_bins=5)
    heights = [bar.get_height() for bar in ax.containers[0]]
    # Bins of width 0.2: 0.7 lies in (0.6, 0.8], 0.9 and 0.92 in (0.8, 1].
    assert heights == pytest.approx([0.0, 0.0, 0.0, 1.0, 0.5])
    ece = expected_calibration_error(probs, labels, n_bins=5)
    legend = ax.get_legend()
    assert legend is not None
    assert legend.get_title().get_text() == f"ECE = {100 * ece:.2f}%"


def test_reliability_diagram_draws_into_a_given_axes_and_keeps_its_title() -> None:
    import matplotlib.pyplot as plt

    _, (left, right) = plt.subplots(1, 2)
    right.set_title("mine")
    probs = torch.tensor([[0.9, 0.1], [0.6, 0.4]])
    assert reliability_diagram(probs, torch.tensor([0, 1]), ax=right) is right
    assert right.get_title() == "mine"
    assert not left.containers


# --------------------------------------------------------------------------- bad input

GOOD_PROBS = torch.tensor([[0.7, 0.3], [0.4, 0.6]])
GOOD_LABELS = torch.tensor([0, 1])

BAD_MATRICES: list[tuple[str, Any, str]] = [
    ("integer", torch.tensor([[1, 0], [0, 1]]), "floating dtype"),
    ("1-D", torch.tensor([0.7, 0.3]), r"2-D of shape \(N, K\), got 1-D"),
    ("3-D", GOOD_PROBS[None], r"2-D of shape \(N, K\), got 3-D"),
    ("no rows", torch.empty(0, 2), "at least one row"),
    ("no columns", torch.empty(2, 0), "at least one row and one column"),
    ("NaN", torch.tensor([[math.nan, 0.3], [0.4, 0.6]]), "finite"),
    ("inf", torch.tensor([[math.inf, 0.3], [0.4, 0.6]]), "finite"),
    ("-inf", torch.tensor([[-math.inf, 0.3], [0.4, 0.6]]), "finite"),
]

BAD_LABELS: list[tuple[str, Any, str]] = [
    ("float labels", torch.tensor([0.0, 1.0]), "labels must have an integer dtype"),
    ("bool labels", torch.tensor([True, False]), "labels must have an integer dtype"),
    ("2-D labels", torch.tensor([[0, 1]]), r"labels must be 1-D"),
    ("too few labels", torch.tensor([0]), r"labels must have N = 2 entries.*got 1"),
    ("too many labels", torch.tensor([0, 1, 1]), r"labels must have N = 2 entries.*got 3"),
    ("label = K", torch.tensor([0, 2]), r"labels must lie in \[0, 2\).*\[0, 2\]"),
    ("negative label", torch.tensor([-1, 1]), r"labels must lie in \[0, 2\).*\[-1, 1\]"),
]

BAD_PROBABILITIES: list[tuple[str, Any, str]] = [
    ("negative", torch.tensor([[1.1, -0.1], [0.4, 0.6]]), "non-negative"),
    ("row sum 0.9", torch.tensor([[0.6, 0.3], [0.4, 0.6]]), "sum to 1 within"),
    ("row sum 1.001", torch.tensor([[0.701, 0.3], [0.4, 0.6]]), "sum to 1 within"),
    ("logits", torch.tensor([[2.0, -1.0], [0.5, 0.1]]), "non-negative"),
]

BAD_N_BINS: list[tuple[str, Any, str]] = [
    ("zero", 0, r"n_bins must be an int >= 1, got 0"),
    ("negative", -3, r"n_bins must be an int >= 1, got -3"),
    ("float", 2.5, r"n_bins must be an int >= 1, got 2.5"),
    ("bool", True, r"n_bins must be an int >= 1, got True"),
]

PROBABILITY_FUNCTIONS: list[Callable[..., Any]] = [
    expected_calibration_error,
    reliability_diagram,
]


@pytest.mark.parametrize("function", PROBABILITY_FUNCTIONS)
@pytest.mark.parametrize(
    ("case", "probs", "message"),
    BAD_MATRICES + BAD_PROBABILITIES,
    ids=[case for case, _, _ in BAD_MATRICES + BAD_PROBABILITIES],
)
def test_probability_functions_reject_bad_probs(
    function: Callable[..., Any], case: str, probs: Any, message: str
) -> None:
    with pytest.raises(ValueError, match="probs") as info:
        function(probs, GOOD_LABELS)
    assert info.match(message)


@pytest.mark.parametrize(
    ("case", "logits", "message"), BAD_MATRICES, ids=[case for case, _, _ in BAD_MATRICES]
)
def test_fit_temperature_rejects_bad_logits(case: str, logits: Any, message: str) -> None:
    with pytest.raises(ValueError, match="logits") as info:
        fit_temperature(logits, GOOD_LABELS)
    assert info.match(message)


@pytest.mark.parametrize(
    "function", [*PROBABILITY_FUNCTIONS, fit_temperature], ids=lambda f: f.__name__
)
@pytest.mark.parametrize(
    ("case", "labels", "message"), BAD_LABELS, ids=[case for case, _, _ in BAD_LABELS]
)
def test_every_function_rejects_bad_labels(
    function: Callable[..., Any], case: str, labels: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        function(GOOD_PROBS, labels)


@pytest.mark.parametrize("function", PROBABILITY_FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("case", "n_bins", "message"), BAD_N_BINS, ids=[case for case, _, _ in BAD_N_BINS]
)
def test_probability_functions_reject_bad_n_bins(
    function: Callable[..., Any], case: str, n_bins: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        function(GOOD_PROBS, GOOD_LABELS, n_bins=n_bins)


@pytest.mark.parametrize(
    "function", [*PROBABILITY_FUNCTIONS, fit_temperature], ids=lambda f: f.__name__
)
def test_every_function_rejects_a_non_tensor_matrix(function: Callable[..., Any]) -> None:
    with pytest.raises(ValueError, match=r"(probs|logits) must be a torch\.Tensor, got list"):
        function([[0.7, 0.3], [0.4, 0.6]], GOOD_LABELS)


@pytest.mark.parametrize(
    "function", [*PROBABILITY_FUNCTIONS, fit_temperature], ids=lambda f: f.__name__
)
def test_every_function_rejects_non_tensor_labels(function: Callable[..., Any]) -> None:
    with pytest.raises(ValueError, match=r"labels must be a torch\.Tensor, got list"):
        function(GOOD_PROBS, [0, 1])


@pytest.mark.parametrize(
    "function", [*PROBABILITY_FUNCTIONS, fit_temperature], ids=lambda f: f.__name__
)
def test_every_function_leaves_its_inputs_unchanged(function: Callable[..., Any]) -> None:
    probs = torch.tensor([[0.7, 0.3], [0.4, 0.6]], dtype=F64)  # float64: no copy on conversion
    labels = torch.tensor([0, 0])
    probs_before, labels_before = probs.clone(), labels.clone()
    function(probs, labels)
    assert torch.equal(probs, probs_before) and torch.equal(labels, labels_before)


def test_row_sum_tolerance_follows_the_dtype() -> None:
    # Off by 5e-4: too much for float32 (tolerance 1e-4), within float16's 2 * 2**-10.
    probs = torch.tensor([[0.7005, 0.3], [0.4, 0.6]])
    with pytest.raises(ValueError, match=r"sum to 1 within 0\.0001"):
        expected_calibration_error(probs, GOOD_LABELS)
    expected_calibration_error(probs.half(), GOOD_LABELS)


@pytest.mark.parametrize("factor", [1e305, 1e-305, 3.0e200])
def test_fit_temperature_scales_with_logits_of_any_size(factor: float) -> None:
    # T(c z) = c T(z): for logits (1, 0) with labels 0, 0, 1 the answer is 1 / log 2.
    logits = torch.tensor([[1.0, 0.0]] * 3, dtype=torch.float64) * factor
    fitted = fit_temperature(logits, torch.tensor([0, 0, 1]))
    assert fitted / factor == pytest.approx(1 / math.log(2), rel=1e-12)


def test_fit_temperature_raises_when_the_minimiser_exceeds_float64() -> None:
    # The margins 2e308 themselves overflow: T = 2e308 / log 2 is not a float64.
    logits = torch.tensor([[1e308, -1e308]] * 3, dtype=torch.float64)
    with pytest.raises(RuntimeError, match="outside the range"):
        fit_temperature(logits, torch.tensor([0, 0, 1]))
