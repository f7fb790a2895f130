"""Calibration: calibration error, temperature scaling, reliability diagrams.

A classifier is calibrated when, among the inputs to which it assigns
confidence :math:`p`, a fraction :math:`p` is classified correctly. The chapter
"Calibration" of the book defines the quantities below, proves that temperature
scaling never changes the predicted class, and applies all three functions to a
softmax classifier of handwritten digits.

All three functions take torch tensors only (convert a NumPy array with
:func:`torch.from_numpy` first) and compute in float64.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from omnivault._validation import check_positive_int
from omnivault.plotting import PALETTE
from omnivault.softmax import softmax

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "expected_calibration_error",
    "fit_temperature",
    "reliability_diagram",
]

#: Rows of `probs` must sum to one within ``max(1e-4, K * eps(dtype))``.
_SUM_ATOL = 1e-4

#: fit_temperature widens its bracket on beta = 1 / T by this factor a step,
#: within float64's normal range [_BETA_MIN, _BETA_MAX].
_WIDEN = 16.0
_BETA_MIN = 1e-300
_BETA_MAX = 1e300

#: Bisection steps on log(beta); 128 halvings of an interval no longer than
#: log(1e600) leave a width below 1e-35, far under float64 resolution.
_BISECTION_STEPS = 128


# ------------------------------------------------------------------ validation


def _check_matrix(value: object, name: str) -> Tensor:
    """Return `value` if it is a finite floating (N, K) tensor, N, K >= 1."""
    if not isinstance(value, Tensor):
        raise ValueError(
            f"{name} must be a torch.Tensor, got {type(value).__name__}"
        )
    if not value.is_floating_point():
        raise ValueError(
            f"{name} must have a floating dtype "
            f"(float16, bfloat16, float32 or float64), got {value.dtype}"
        )
    if value.dim() != 2:
        raise ValueError(
            f"{name} must be 2-D of shape (N, K), "
            f"got {value.dim()}-D shape {tuple(value.shape)}"
        )
    if value.shape[0] < 1 or value.shape[1] < 1:
        raise ValueError(
            f"{name} must have at least one row and one column, "
            f"got shape {tuple(value.shape)}"
        )
    if not bool(torch.isfinite(value).all()):
        raise ValueError(f"{name} must be finite, got NaN or inf entries")
    return value


def _check_labels(labels: object, n: int, k: int) -> Tensor:
    """Return `labels` if it is an integer (n,) tensor, values in [0, k)."""
    if not isinstance(labels, Tensor):
        raise ValueError(
            f"labels must be a torch.Tensor, got {type(labels).__name__}"
        )
    if (
        labels.is_floating_point()
        or labels.is_complex()
        or labels.dtype == torch.bool
    ):
        raise ValueError(
            f"labels must have an integer dtype, got {labels.dtype}"
        )
    if labels.dim() != 1:
        raise ValueError(
            f"labels must be 1-D of shape (N,), "
            f"got {labels.dim()}-D shape {tuple(labels.shape)}"
        )
    if labels.shape[0] != n:
        raise ValueError(
            f"labels must have N = {n} entries to match the rows, "
            f"got {labels.shape[0]}"
        )
    low, high = int(labels.min()), int(labels.max())
    if low < 0 or high >= k:
        raise ValueError(
            f"labels must lie in [0, {k}) for K = {k} classes, "
            f"got values in [{low}, {high}]"
        )
    return labels.long()


def _check_probs(probs: object) -> Tensor:
    """Return `probs` in float64 if it is an (N, K) matrix of distributions."""
    checked = _check_matrix(probs, "probs")
    p = checked.to(torch.float64)
    if bool((p < 0).any()):
        raise ValueError(
            "probs must be non-negative, "
            f"got a minimum of {float(p.min()):.6g}"
        )
    atol = max(_SUM_ATOL, checked.shape[1] * torch.finfo(checked.dtype).eps)
    deviation = float((p.sum(dim=1) - 1.0).abs().max())
    if deviation > atol:
        raise ValueError(
            f"each row of probs must sum to 1 within {atol:.3g}, "
            f"got a row sum that is off by {deviation:.3g}"
        )
    return p


def _confidence_and_correct(
    probs: object, labels: object
) -> tuple[Tensor, Tensor]:
    """Validate and return (confidence, correct), float64 of shape (N,)."""
    p = _check_probs(probs)
    y = _check_labels(labels, p.shape[0], p.shape[1])
    confidence, prediction = p.max(dim=1)
    return confidence, (prediction == y).to(torch.float64)


def _bin_statistics(
    confidence: Tensor, correct: Tensor, n_bins: int
) -> tuple[Tensor, Tensor, Tensor]:
    """Per-bin counts and sums of correctness and of confidence.

    Each has shape ``(M,)``, ``M = n_bins``. Bin ``m`` (0-based) holds the
    confidences in ``(m / M, (m + 1) / M]``; a confidence of exactly 0 joins
    the first bin and one above 1 (allowed by the row-sum tolerance) the last.
    """
    edges = torch.arange(n_bins + 1, dtype=torch.float64) / n_bins
    index = torch.searchsorted(edges, confidence, right=False) - 1
    index = index.clamp(0, n_bins - 1)
    counts = torch.bincount(index, minlength=n_bins).to(torch.float64)
    correct_sums = torch.bincount(index, weights=correct, minlength=n_bins)
    confidence_sums = torch.bincount(
        index, weights=confidence, minlength=n_bins
    )
    return counts, correct_sums, confidence_sums


# ------------------------------------------------------------------ public API


def expected_calibration_error(
    probs: Tensor, labels: Tensor, *, n_bins: int = 15
) -> float:
    r"""Compute the expected calibration error (ECE) with equal-width bins.

    Parameters
    ----------
    probs : Tensor
        Predicted probabilities of shape ``(N, K)``, any floating dtype; each
        row non-negative and summing to one (see Notes for the tolerance).
    labels : Tensor
        True classes of shape ``(N,)``, an integer dtype, values in ``[0, K)``.
    n_bins : int, default 15
        Number :math:`M \ge 1` of equal-width confidence bins over ``[0, 1]``.

    Returns
    -------
    float
        The ECE, a number in ``[0, 1]`` (multiply by 100 for per cent).

    Raises
    ------
    ValueError
        If `probs` or `labels` is not a :class:`torch.Tensor`; if `probs` is
        not a 2-D floating tensor with at least one row and column, holds NaN,
        inf or negative entries, or has a row whose sum is not 1 within the
        tolerance; if `labels` is not a 1-D integer tensor with one entry per
        row and values in ``[0, K)``; or if `n_bins` is not an int ``>= 1``.

    Notes
    -----
    With confidence :math:`\hat p_i = \max_k p_{ik}` and prediction
    :math:`\hat y_i = \arg\max_k p_{ik}` (the first maximum on ties), bin
    :math:`B_m` holds the samples with :math:`\hat p_i \in ((m-1)/M, m/M]`,
    :math:`m = 1, \dots, M` (a confidence of exactly 0, impossible for a valid
    row, joins :math:`B_1`), and

    .. math::

        \mathrm{ECE}
        &= \sum_{m=1}^{M} \frac{|B_m|}{N}
        \bigl|\operatorname{acc}(B_m) - \operatorname{conf}(B_m)\bigr| \\
        &= \frac{1}{N} \sum_{m=1}^{M}
        \Bigl|\sum_{i \in B_m}
        \bigl(\mathbb{1}[\hat y_i = y_i] - \hat p_i\bigr)\Bigr|,

    where :math:`\operatorname{acc}` and :math:`\operatorname{conf}` are the
    mean correctness and mean confidence in a bin; empty bins contribute
    nothing. Everything is computed in float64; the bin edges are the float64
    numbers :math:`m / M`.

    Row sums must be within ``max(1e-4, K * eps)`` of 1, where ``eps`` is the
    machine epsilon of the dtype of `probs`: ``1e-4`` for float32 and float64
    with fewer than about 800 classes, looser for float16 and bfloat16, whose
    rounding alone can move a sum by more.

    The value depends on `n_bins` and, for a few hundred samples, on sampling
    noise; the chapter "Calibration" shows both.

    The chapter :doc:`/chapters/calibration` defines it and its estimation
    error.

    References
    ----------
    .. [1] C. Guo, G. Pleiss, Y. Sun and K. Q. Weinberger, "On Calibration of
       Modern Neural Networks", ICML 2017, arXiv:1706.04599.
    .. [2] M. P. Naeini, G. F. Cooper and M. Hauskrecht, "Obtaining Well
       Calibrated Probabilities Using Bayesian Binning", AAAI 2015.

    Examples
    --------
    One correct prediction with confidence 0.9 and one wrong one with
    confidence 0.6 land in different bins: ECE = (0.1 + 0.6) / 2.

    >>> import torch
    >>> probs = torch.tensor([[0.9, 0.1], [0.6, 0.4]], dtype=torch.float64)
    >>> round(expected_calibration_error(probs, torch.tensor([0, 1])), 6)
    0.35

    With a single bin, ECE is the gap between accuracy (1/2) and mean
    confidence (0.75):

    >>> round(expected_calibration_error(probs, torch.tensor([0, 1]),
    ...                                  n_bins=1), 6)
    0.25
    """
    n_bins = check_positive_int(n_bins, "n_bins")
    confidence, correct = _confidence_and_correct(probs, labels)
    _, correct_sums, confidence_sums = _bin_statistics(
        confidence, correct, n_bins
    )
    return float(
        (correct_sums - confidence_sums).abs().sum() / confidence.shape[0]
    )


def _nll_slope(logits: Tensor, margins: Tensor, beta: float) -> float:
    r"""Return the derivative in :math:`\beta` of the mean NLL at `beta`.

    The mean NLL is that of ``softmax(beta * logits)``. Its derivative is
    :math:`\frac{1}{N}\sum_i \sum_k p_{ik} (z_{ik} - z_{i y_i})`, with
    :math:`p_i = \operatorname{softmax}(\beta z_i)` and `margins` holding
    :math:`z_{ik} - z_{i y_i}`; non-decreasing in :math:`\beta`.
    """
    p = softmax(logits, dim=1, temperature=1.0 / beta)
    return float((p * margins).sum(dim=1).mean())


def fit_temperature(logits: Tensor, labels: Tensor) -> float:
    r"""Temperature minimising the mean NLL of ``softmax(logits / T)``.

    This is temperature scaling: fit :math:`T` on held-out (validation) logits,
    then divide every future logit vector by it. Dividing by :math:`T > 0`
    keeps the order of the logits, so the predicted classes, and the accuracy,
    do not change; only the confidences do.

    Parameters
    ----------
    logits : Tensor
        Logits of shape ``(N, K)``, any floating dtype, finite.
    labels : Tensor
        True classes of shape ``(N,)``, an integer dtype, values in ``[0, K)``.

    Returns
    -------
    float
        The fitted temperature, wherever the minimiser lies; ``0.0`` or
        ``math.inf`` (with a warning) when the NLL has no finite minimiser, and
        ``1.0`` when it does not depend on :math:`T`.

    Raises
    ------
    ValueError
        If `logits` or `labels` is not a :class:`torch.Tensor`; if `logits` is
        not a 2-D floating tensor with at least one row and column, or holds
        NaN or inf; or if `labels` is not a 1-D integer tensor with one entry
        per row and values in ``[0, K)``.
    RuntimeError
        If the minimiser is finite but outside float64's range (for logits
        whose differences themselves overflow, such as ``(1e308, -1e308)``).

    Warns
    -----
    RuntimeWarning
        When no finite :math:`T > 0` minimises the NLL. If every label has the
        largest logit of its row (and some row is not constant), the NLL keeps
        decreasing as :math:`T \to 0`: ``0.0`` is returned. If the logits fit
        the labels no better than the uniform distribution does
        (:math:`f'(0) \ge 0` below), the NLL keeps decreasing as
        :math:`T \to \infty`: ``math.inf`` is returned.

    Notes
    -----
    In :math:`\beta = 1/T` the mean negative log-likelihood is

    .. math::

        f(\beta) &= \frac{1}{N} \sum_{i=1}^{N}
        \Bigl(\log \sum_{k=1}^{K} e^{\beta z_{ik}} - \beta z_{i y_i}\Bigr),
        \\
        f'(\beta) &= \frac{1}{N} \sum_{i=1}^{N}
        \bigl(\mathbb{E}_{p_i}[z_i] - z_{i y_i}\bigr),
        \\
        f''(\beta) &= \frac{1}{N} \sum_{i=1}^{N}
        \operatorname{Var}_{p_i}(z_i) \ge 0,

    with :math:`p_i = \operatorname{softmax}(\beta z_i)`: a log-sum-exp minus a
    linear term, convex in :math:`\beta` (it need not be convex in :math:`T`),
    and strictly convex unless every row of `logits` is constant. So :math:`f'`
    is increasing, from :math:`f'(0) = \frac1N \sum_i (\bar z_i - z_{i y_i})`
    (:math:`\bar z_i` the row mean) to
    :math:`f'(\infty) = \frac1N \sum_i (\max_k z_{ik} - z_{i y_i}) \ge 0` (for
    rows with a unique maximum; a tied maximum averages the tied logits). A
    finite minimiser exists exactly when :math:`f'(0) < 0 < f'(\infty)`; both
    limits are computed exactly, so the two failures are told apart before any
    search. Otherwise the function brackets the root of :math:`f'`, starting
    from :math:`\beta = 1` and widening by a factor of 16 until the slope
    changes sign (within :math:`\beta \in [10^{-300}, 10^{300}]`), then bisects
    on :math:`\log \beta` in float64 until the bracket is two adjacent numbers
    (at most 128 halvings): no step size, no starting point, no tolerance to
    tune, and the same answer on every run. The rows are shifted by their
    maximum first, which changes no :math:`f'`, and the slope is summed as
    :math:`\sum_k p_{ik} (z_{ik} - z_{i y_i})`, so it has the right sign even
    where probabilities underflow.

    At the minimiser :math:`f'(\beta) = 0`: the mean logit under the model
    equals the mean logit of the true class.

    The chapter :doc:`/chapters/calibration` proves that the objective is
    convex in :math:`1/T` and applies it.

    References
    ----------
    .. [1] C. Guo, G. Pleiss, Y. Sun and K. Q. Weinberger, "On Calibration of
       Modern Neural Networks", ICML 2017, arXiv:1706.04599.

    Examples
    --------
    Three samples with logits ``[1, 0]``, two of class 0 and one of class 1:
    the best probability for class 0 is 2/3, so
    :math:`\sigma([1, 0] / T)_1 = 1 / (1 + e^{-1/T}) = 2/3` and
    :math:`T = 1 / \log 2`. Scaling the logits by 500 scales the answer by 500.

    >>> import math
    >>> import torch
    >>> logits = torch.tensor([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    >>> T = fit_temperature(logits, torch.tensor([0, 0, 1]))
    >>> round(T, 6), round(1 / math.log(2), 6)
    (1.442695, 1.442695)
    >>> round(fit_temperature(500 * logits, torch.tensor([0, 0, 1])) / 500, 6)
    1.442695
    """
    z = _check_matrix(logits, "logits").to(torch.float64)
    y = _check_labels(labels, z.shape[0], z.shape[1])
    if bool((z.amax(dim=1) == z.amin(dim=1)).all()):
        return 1.0
    # The fit is equivariant, T(c z) = c T(z): fit z / scale, with scale a
    # power of two within a factor 2 of max |z| (an exact division), then
    # scale the answer back. So the bracket on beta below holds for logits
    # of any size, and rows such as (1e308, -1e308) cannot overflow when
    # shifted.
    scale = math.ldexp(1.0, math.frexp(float(z.abs().max()))[1] - 1)
    z = z / scale
    # f'(beta) does not change when a row is shifted; shifting by the row
    # maximum keeps every z <= 0 and the maximum exactly 0.
    z = z - z.amax(dim=1, keepdim=True)
    # z_k - z_y for every class: the slope is the p-weighted mean of these.
    margins = z - z.gather(1, y.unsqueeze(1))
    # Every label is a maximiser: f' < 0 for every beta.
    if bool((margins <= 0).all()):
        warnings.warn(
            "fit_temperature: every label has the largest logit of its row, "
            "so the NLL decreases all the way to T -> 0; returning 0.0",
            RuntimeWarning,
            stacklevel=2,
        )
        return 0.0
    if float(margins.mean()) >= 0.0:  # f'(0) >= 0: f' > 0 for every beta > 0
        warnings.warn(
            "fit_temperature: the logits fit the labels no better than "
            "uniform probabilities, so the NLL decreases all the way to "
            "T -> inf; returning inf",
            RuntimeWarning,
            stacklevel=2,
        )
        return math.inf
    low = high = 0.0  # log(beta), widened until slope(low) < 0 <= slope(high)
    while (
        _nll_slope(z, margins, math.exp(low)) >= 0.0
        and math.exp(low) > _BETA_MIN
    ):
        low -= math.log(_WIDEN)
    while (
        _nll_slope(z, margins, math.exp(high)) < 0.0
        and math.exp(high) < _BETA_MAX
    ):
        high += math.log(_WIDEN)
    if (
        _nll_slope(z, margins, math.exp(low)) >= 0.0
        or _nll_slope(z, margins, math.exp(high)) < 0.0
    ):
        raise _out_of_range()
    for _ in range(_BISECTION_STEPS):
        middle = 0.5 * (low + high)
        if middle in (low, high):  # the bracket is two adjacent floats: done
            break
        if _nll_slope(z, margins, math.exp(middle)) < 0.0:
            low = middle
        else:
            high = middle
    temperature = math.exp(-0.5 * (low + high)) * scale
    if not 0.0 < temperature < math.inf:
        raise _out_of_range()
    return temperature


def _out_of_range() -> RuntimeError:
    return RuntimeError(
        "fit_temperature: the minimiser lies outside the range of "
        "temperatures that float64 represents for these logits"
    )


def reliability_diagram(
    probs: Tensor, labels: Tensor, *, n_bins: int = 15, ax: Axes | None = None
) -> Axes:
    r"""Draw a reliability diagram: per-bin accuracy against the diagonal.

    Parameters
    ----------
    probs : Tensor
        Predicted probabilities of shape ``(N, K)``, as for
        :func:`expected_calibration_error`.
    labels : Tensor
        True classes of shape ``(N,)``, an integer dtype, values in ``[0, K)``.
    n_bins : int, default 15
        Number of equal-width confidence bins over ``[0, 1]``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; by default a new figure with one Axes is created.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn into. ``ax.containers[0]`` holds the `n_bins` accuracy
        bars (height 0 for an empty bin), ``ax.containers[1]`` the `n_bins` gap
        bars from accuracy up (or down) to the mean confidence of the bin.

    Raises
    ------
    ValueError
        As for :func:`expected_calibration_error`.

    Notes
    -----
    Bar :math:`m` is centred on its bin :math:`((m-1)/M, m/M]` and its height
    is :math:`\operatorname{acc}(B_m)`; the shaded gap reaches
    :math:`\operatorname{conf}(B_m)`. A calibrated classifier has every bar on
    the dashed diagonal :math:`y = x`; bars below it mean over-confidence. The
    legend, below the Axes, has the ECE as its title: the count-weighted mean
    length of the gaps. The Axes' title is set only if it is empty. Colours
    come from :data:`omnivault.PALETTE`; no global style is changed.

    The chapter :doc:`/chapters/calibration` explains how to read it.

    References
    ----------
    .. [1] M. H. DeGroot and S. E. Fienberg, "The Comparison and Evaluation of
       Forecasters", J. R. Stat. Soc. D 32(1/2), 1983.
    .. [2] A. Niculescu-Mizil and R. Caruana, "Predicting Good Probabilities
       with Supervised Learning", ICML 2005.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import torch
    >>> probs = torch.tensor([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]])
    >>> ax = reliability_diagram(probs, torch.tensor([0, 1, 1]), n_bins=5)
    >>> len(ax.containers[0]), ax.get_xlabel()
    (5, 'confidence')
    >>> plt.close(ax.figure)
    """
    n_bins = check_positive_int(n_bins, "n_bins")
    confidence, correct = _confidence_and_correct(probs, labels)
    counts, correct_sums, confidence_sums = _bin_statistics(
        confidence, correct, n_bins
    )
    occupied = counts > 0
    safe_counts = counts.clamp(min=1.0)
    accuracy = torch.where(occupied, correct_sums / safe_counts, 0.0)
    mean_confidence = torch.where(occupied, confidence_sums / safe_counts, 0.0)
    ece = float(
        (correct_sums - confidence_sums).abs().sum() / confidence.shape[0]
    )

    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    width = 1.0 / n_bins
    centres = (
        (torch.arange(n_bins, dtype=torch.float64) + 0.5) * width
    ).tolist()
    ax.bar(
        centres,
        accuracy.tolist(),
        width=width,
        color=PALETTE[0],
        edgecolor="white",
        linewidth=0.5,
        label="accuracy",
    )
    ax.bar(
        centres,
        (mean_confidence - accuracy).tolist(),
        bottom=accuracy.tolist(),
        width=width,
        facecolor="none",
        edgecolor=PALETTE[1],
        hatch="////",
        linewidth=0.8,
        label="gap to mean confidence",
    )
    ax.plot(
        [0.0, 1.0],
        [0.0, 1.0],
        linestyle="--",
        color=PALETTE[7],
        linewidth=1.0,
        label="perfect calibration",
    )
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(0.0, 1.0)
    ax.set_aspect("equal")
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    if not ax.get_title():
        ax.set_title("Reliability diagram")
    ax.legend(
        title=f"ECE = {100.0 * ece:.2f}%",
        loc="upper center",
        bbox_to_anchor=(0.5, -0.2),
    )
    return ax
