"""Choosing a token: greedy decoding, sampling at a temperature, top-k, top-p.

Every function reads the last dimension as the ``K`` classes (tokens) and every
other dimension as a batch, validates its input once, computes float16 and
bfloat16 in float32, and never modifies its input. The chapter "Sampling from a
softmax" (``chapters/sampling.md``) explains and checks each step, including
the Gumbel-max theorem behind :func:`gumbel_max`.
"""

from __future__ import annotations

import math
from numbers import Real

import torch
from torch import Tensor

from omnivault._validation import (
    check_finite_slice_max,
    check_floating,
    check_positive_int,
    check_temperature,
    real_as_float,
    to_compute_dtype,
)
from omnivault.softmax import softmax

__all__ = ["filter_logits", "greedy", "gumbel_max", "sample"]


def _check_logits(logits: object) -> Tensor:
    """Return validated `logits` of shape ``(*batch, K)`` in the compute dtype.

    The compute dtype is float32 for float16 and bfloat16 input, else the
    input dtype. The result may share memory with `logits`; callers never
    write to it.
    """
    tensor = check_floating(logits, "logits")
    if tensor.dim() == 0:
        raise ValueError(
            "logits must have at least one dimension (the K classes, last), "
            "got a 0-d tensor"
        )
    if tensor.shape[-1] == 0:
        raise ValueError(
            "logits must have at least one class along the last dim, "
            f"got shape {tuple(tensor.shape)}"
        )
    x = to_compute_dtype(tensor)
    if x.numel() > 0:
        check_finite_slice_max(x.amax(dim=-1, keepdim=True), -1)
    return x


def _check_top_k(top_k: object) -> int | None:
    """Return `top_k` if it is ``None`` or an int >= 1.

    Anything else raises ``ValueError``.
    """
    return None if top_k is None else check_positive_int(top_k, "top_k")


def _check_top_p(top_p: object) -> float | None:
    """Return ``None`` for ``None``, else `top_p` as a float in (0, 1].

    Anything that is not a real number in (0, 1] raises ``ValueError``.
    """
    if top_p is None:
        return None
    if isinstance(top_p, bool) or not isinstance(top_p, Real):
        raise ValueError(
            f"top_p must be a real number in (0, 1], got {top_p!r} "
            f"of type {type(top_p).__name__}"
        )
    value = real_as_float(top_p)
    if not 0.0 < value <= 1.0:  # also rejects NaN
        raise ValueError(
            f"top_p must be a real number in (0, 1], got {value!r}"
        )
    return value


#: A cumulative mass within this many machine epsilons (relative) of top_p
#: reaches it.
NUCLEUS_TOLERANCE_EPS = 4
_EPS64 = torch.finfo(torch.float64).eps


def _keep_mask(
    x: Tensor, top_k: int | None, top_p: float | None, temperature: float = 1.0
) -> Tensor:
    """Boolean mask of the entries of validated `x` kept by top-k, then top-p.

    Entries are ranked by the logits `x` themselves, largest first, ties in
    order of index (a stable sort), so the result is deterministic. Dividing
    by a temperature ``T > 0`` keeps that ranking in exact arithmetic; ranking
    before dividing keeps rounding from creating ties. Top-p measures mass
    under ``softmax(x / temperature)`` restricted to the top-k survivors,
    accumulated in float64; a mass of ``j`` probabilities of at least
    ``top_p * (1 - NUCLEUS_TOLERANCE_EPS * eps - j * eps64)`` counts as
    reaching `top_p`, with ``eps`` the machine epsilon of the dtype of `x`.
    """
    keep = torch.ones_like(x, dtype=torch.bool)
    k_active = top_k is not None and top_k < x.shape[-1]
    p_active = top_p is not None and top_p < 1.0
    if x.numel() == 0 or not (k_active or p_active):
        return keep
    order = torch.sort(x, dim=-1, descending=True, stable=True).indices
    if k_active:
        assert top_k is not None
        keep = torch.zeros_like(keep).scatter(-1, order[..., :top_k], True)
    if p_active:
        assert top_p is not None
        # softmax is monotone, so `order` also sorts the probabilities.
        probs = softmax(
            x.masked_fill(~keep, -math.inf), dim=-1, temperature=temperature
        )
        sorted_probs = probs.gather(-1, order).double()
        # Probability mass strictly before each rank; 0 before the largest,
        # which is always kept.
        mass_before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs
        # A few roundings of the probabilities, plus the bound on the float64
        # summation's error.
        terms = torch.arange(x.shape[-1], dtype=torch.float64, device=x.device)
        slack = (
            NUCLEUS_TOLERANCE_EPS * torch.finfo(x.dtype).eps + terms * _EPS64
        )
        keep_sorted = mass_before < top_p * (1.0 - slack)
        keep_sorted[..., 0] = True
        keep = keep & torch.zeros_like(keep).scatter(-1, order, keep_sorted)
    return keep


def filter_logits(
    logits: Tensor,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> Tensor:
    r"""Set to ``-inf`` the logits that top-k, then top-p (nucleus), remove.

    Parameters
    ----------
    logits : Tensor
        Shape ``(*batch, K)`` with ``K >= 1``, any floating dtype; the last
        dimension holds the classes. Entries may be ``-inf`` (probability 0).
    temperature : float, default 1.0
        A finite real number :math:`T > 0`. Top-p measures probability under
        ``softmax(logits / T)``, the distribution that :func:`sample` draws
        from; the ranking is that of the raw logits.
    top_k : int, optional
        Keep the `top_k` largest logits of each row. ``top_k >= K`` keeps
        everything. ``None`` (default) switches top-k off.
    top_p : float, optional
        A real number in ``(0, 1]``: after top-k, keep the smallest set of most
        probable classes whose probability under the renormalised
        ``softmax(logits / T)`` reaches `top_p`. ``1.0`` or ``None`` (default)
        switches top-p off.

    Returns
    -------
    Tensor
        A new tensor with the shape and dtype of `logits`: kept entries are
        unchanged, removed entries are ``-inf``. At least one entry of each
        row is kept, so ``softmax`` of the result is a distribution.
        Removed entries are the same for `logits` and for ``logits / T``.

    Raises
    ------
    TypeError
        If `logits` is not a floating-point tensor.
    ValueError
        If `logits` is 0-d, has ``K = 0``, contains NaN or ``+inf``, has a row
        that is entirely ``-inf``; if `temperature` is not a finite real number
        ``> 0``, `top_k` not an int ``>= 1`` or `top_p` not a real number in
        ``(0, 1]``.

    Notes
    -----
    Rank a row :math:`z \in \mathbb{R}^K` from largest to smallest,
    :math:`z_{(1)} \ge z_{(2)} \ge \dots \ge z_{(K)}`, breaking ties by the
    lower index (a stable sort). Top-k keeps :math:`(1), \dots, (k)`: exactly
    :math:`\min(k, K)` entries, so of several logits equal to the k-th largest
    only those with the lowest indices survive. Top-p then computes
    :math:`q = \operatorname{softmax}` of the top-k survivors and keeps

    .. math::

        (1), \dots, (m), \qquad
        m = \min \Bigl\{ j : \sum_{i \le j} q_{(i)} \ge p \Bigr\},

    the shortest prefix of the ranking whose probability reaches :math:`p` (the
    class that crosses :math:`p` is kept), with :math:`q` computed from
    :math:`z / T`. In code, rank :math:`j` is kept when the mass strictly
    before it, a float64 sum of :math:`j - 1` probabilities, is below
    :math:`p \bigl(1 - 4 \varepsilon - (j - 1) \varepsilon_{64}\bigr)`, with
    :math:`\varepsilon` the machine epsilon of the compute dtype (float32 for
    float16 and bfloat16) and :math:`\varepsilon_{64}` float64's: a cumulative
    mass that falls short of :math:`p` by no more than a few roundings of the
    probabilities and the bound on the rounding of their sum counts as reaching
    it. Without that tolerance, 25 equal logits and :math:`p = 0.2` would keep
    6 classes, because five float32 probabilities of 1/25 add up to just below
    0.2; with it they keep :math:`5 = pK`.

    The chapter :doc:`/chapters/sampling` proves what each filter keeps.

    References
    ----------
    .. [1] A. Fan, M. Lewis and Y. Dauphin, "Hierarchical Neural Story
       Generation", ACL 2018 (top-k sampling).
    .. [2] A. Holtzman, J. Buys, L. Du, M. Forbes and Y. Choi, "The Curious
       Case of Neural Text Degeneration", ICLR 2020 (nucleus sampling).

    Examples
    --------
    >>> import torch
    >>> z = torch.tensor([1.0, 3.0, 2.0, 0.0])
    >>> filter_logits(z, top_k=2)
    tensor([-inf, 3., 2., -inf])
    >>> softmax(z)
    tensor([0.0871, 0.6439, 0.2369, 0.0321])
    >>> filter_logits(z, top_p=0.8)  # 0.6439 < 0.8 <= 0.6439 + 0.2369
    tensor([-inf, 3., 2., -inf])
    >>> filter_logits(z, top_p=0.5)
    tensor([-inf, 3., -inf, -inf])
    >>> filter_logits(z, temperature=4.0, top_p=0.5)  # flatter: needs two
    tensor([-inf, 3., 2., -inf])
    >>> int((filter_logits(torch.zeros(25), top_p=0.2) > -math.inf).sum())
    5
    """
    x = _check_logits(logits)
    temperature = check_temperature(temperature)
    keep = _keep_mask(x, _check_top_k(top_k), _check_top_p(top_p), temperature)
    return logits.masked_fill(~keep, -math.inf)


def greedy(logits: Tensor) -> Tensor:
    r"""Greedy decoding: the index of the largest logit of each row.

    Parameters
    ----------
    logits : Tensor
        Shape ``(*batch, K)`` with ``K >= 1``, any floating dtype.

    Returns
    -------
    Tensor
        ``int64`` indices of shape ``logits.shape[:-1]``.

    Raises
    ------
    TypeError
        If `logits` is not a floating-point tensor.
    ValueError
        If `logits` is 0-d, has ``K = 0``, contains NaN or ``+inf``, or has a
        row that is entirely ``-inf``.

    Notes
    -----
    :math:`\arg\max_i z_i = \arg\max_i \operatorname{softmax}(z / T)_i` for
    every temperature :math:`T > 0`, because softmax preserves order; when the
    largest logit is unique, greedy decoding is the :math:`T \to 0^+` limit of
    sampling. Ties go to the first (lowest) index, as in :func:`torch.argmax`.

    The chapters :doc:`/chapters/temperature` and :doc:`/chapters/sampling`
    explain it.

    Examples
    --------
    >>> import torch
    >>> greedy(torch.tensor([1.0, 3.0, 2.0]))
    tensor(1)
    >>> greedy(torch.tensor([[0.0, 5.0, 5.0],  # a tie: the first index
    ...                      [2.0, 1.0, 0.0]]))
    tensor([1, 0])
    """
    return torch.argmax(_check_logits(logits), dim=-1)


def sample(
    logits: Tensor,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    num_samples: int = 1,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Draw class indices from ``softmax(logits / T)``, optionally truncated.

    Parameters
    ----------
    logits : Tensor
        Shape ``(*batch, K)`` with ``K >= 1``, any floating dtype; the last
        dimension holds the classes. Entries may be ``-inf`` (never drawn).
    temperature : float, default 1.0
        A finite real number :math:`T > 0`; the logits are divided by it.
    top_k : int, optional
        Keep only the `top_k` largest logits (see :func:`filter_logits`).
    top_p : float, optional
        Keep only the nucleus of probability `top_p` in ``(0, 1]``
        (see :func:`filter_logits`).
    num_samples : int, default 1
        Independent draws per row, with replacement.
    generator : torch.Generator, optional
        Source of randomness; the same seed gives the same draws.

    Returns
    -------
    Tensor
        ``int64`` indices into the last dimension, of shape
        ``(*batch, num_samples)``.

    Raises
    ------
    TypeError
        If `logits` is not a floating-point tensor.
    ValueError
        As for :func:`filter_logits`; also if `temperature` is not a finite
        real number ``> 0`` or `num_samples` is not an int ``>= 1``.

    Notes
    -----
    The order of operations is: divide by the temperature, apply top-k, apply
    top-p to the renormalised distribution, renormalise, draw:

    .. math::

        \tilde z = z / T, \qquad
        \pi = \operatorname{softmax}
        \bigl(\operatorname{filter}(\tilde z)\bigr),
        \qquad
        X_1, \dots, X_n \overset{\text{iid}}{\sim}
        \operatorname{Categorical}(\pi),

    where ``filter`` sets removed logits to :math:`-\infty`. Both truncations
    rank the logits :math:`z` themselves (dividing by :math:`T > 0` does not
    change the ranking, and ranking before dividing keeps rounding from
    creating ties), so top-k's support does not depend on :math:`T`; top-p
    measures mass under :math:`\operatorname{softmax}(z / T)`, so a lower
    :math:`T` never enlarges the nucleus. The probabilities come from
    :func:`softmax` with ``temperature=T``, which subtracts the row maximum
    before dividing, so a small :math:`T` cannot overflow. The draws come
    from :func:`torch.multinomial` with replacement over the flattened batch.

    The chapter :doc:`/chapters/sampling` explains and checks each step.

    References
    ----------
    .. [1] A. Fan, M. Lewis and Y. Dauphin, "Hierarchical Neural Story
       Generation", ACL 2018.
    .. [2] A. Holtzman, J. Buys, L. Du, M. Forbes and Y. Choi, "The Curious
       Case of Neural Text Degeneration", ICLR 2020.

    Examples
    --------
    >>> import torch
    >>> z = torch.tensor([1.0, 2.0, 3.0])
    >>> sample(z, num_samples=8, generator=torch.Generator().manual_seed(0))
    tensor([2, 2, 2, 2, 2, 2, 1, 2])
    >>> sample(z, top_k=1, num_samples=4,
    ...        generator=torch.Generator().manual_seed(0))
    tensor([2, 2, 2, 2])
    >>> sample(torch.zeros(2, 5), num_samples=3).shape
    torch.Size([2, 3])
    """
    x = _check_logits(logits)
    temperature = check_temperature(temperature)
    keep_k = _check_top_k(top_k)
    keep_p = _check_top_p(top_p)
    num_samples = check_positive_int(num_samples, "num_samples")
    batch_shape = x.shape[:-1]
    if x.numel() == 0:
        return torch.empty(
            (*batch_shape, num_samples), dtype=torch.long, device=x.device
        )
    keep = _keep_mask(x, keep_k, keep_p, temperature)
    filtered = x.masked_fill(~keep, -math.inf)
    probs = softmax(filtered, dim=-1, temperature=temperature)
    probs = probs.reshape(-1, x.shape[-1])
    draws = torch.multinomial(
        probs, num_samples, replacement=True, generator=generator
    )
    return draws.reshape(*batch_shape, num_samples)


def gumbel_max(
    logits: Tensor, *, generator: torch.Generator | None = None
) -> Tensor:
    r"""One draw per row from ``softmax(logits)`` by the Gumbel-max trick.

    Parameters
    ----------
    logits : Tensor
        Shape ``(*batch, K)`` with ``K >= 1``, any floating dtype. Entries may
        be ``-inf`` (never drawn).
    generator : torch.Generator, optional
        Source of the uniform noise; the same seed gives the same draws.

    Returns
    -------
    Tensor
        ``int64`` indices of shape ``logits.shape[:-1]``.

    Raises
    ------
    TypeError
        If `logits` is not a floating-point tensor.
    ValueError
        If `logits` is 0-d, has ``K = 0``, contains NaN or ``+inf``, or has a
        row that is entirely ``-inf``.

    Notes
    -----
    With :math:`G_1, \dots, G_K` independent standard Gumbel variables,

    .. math::

        \Pr\Bigl(\arg\max_i (z_i + G_i) = j\Bigr)
        = \operatorname{softmax}(z)_j .

    The noise is :math:`G = -\log(-\log U)` with :math:`U` uniform on
    :math:`[0, 1)`, drawn in float64 from `generator`. ``torch.rand`` can
    return exactly 0, which would give :math:`G = -\infty`; such a draw is
    replaced by the smallest positive float64 (:math:`G \approx -6.6`). The
    logits are first shifted by their row maximum in float64, which changes no
    probability (translation invariance) and keeps the noise from being rounded
    away: next to a logit of 1e17, whose float64 spacing is 16, an unshifted
    :math:`z + G` could not tell logits one spacing apart. Otherwise :math:`U`
    lies on a grid of spacing :math:`2^{-53}`, so :math:`G` lies in about
    :math:`[-3.6, 36.7]`; a true standard Gumbel variable falls outside that
    interval with probability below ``1e-15``. Ties in ``logits + G`` go to the
    first index, as in :func:`torch.argmax`. The chapter "Sampling from a
    softmax" proves the theorem.

    The chapter :doc:`/chapters/sampling` proves the Gumbel-max identity.

    References
    ----------
    .. [1] E. J. Gumbel, "Statistical Theory of Extreme Values and Some
       Practical Applications", National Bureau of Standards, 1954.
    .. [2] C. J. Maddison, D. Tarlow and T. Minka, "A* Sampling", NeurIPS 2014.

    Examples
    --------
    >>> import torch
    >>> z = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, float("-inf")]])
    >>> gumbel_max(z, generator=torch.Generator().manual_seed(1))
    tensor([2, 1])

    Ten thousand rows of the same logits give frequencies close to softmax:

    >>> z = torch.tensor([1.0, 2.0, 3.0])
    >>> draws = gumbel_max(z.expand(10_000, 3),
    ...                    generator=torch.Generator().manual_seed(0))
    >>> torch.bincount(draws, minlength=3) / 10_000
    tensor([0.0904, 0.2409, 0.6687])
    >>> softmax(z)
    tensor([0.0900, 0.2447, 0.6652])
    """
    x = _check_logits(logits)
    u = torch.rand(
        x.shape, generator=generator, dtype=torch.float64, device=x.device
    )
    u = u.clamp_min(torch.finfo(torch.float64).tiny)
    gumbel = -torch.log(-torch.log(u))
    if x.numel() == 0:
        return torch.empty(x.shape[:-1], dtype=torch.long, device=x.device)
    # Translation invariance: shifting by the row maximum changes no
    # probability, and keeps the noise from being rounded away next to large
    # logits.
    shifted = x.double() - x.amax(dim=-1, keepdim=True).double()
    return torch.argmax(shifted + gumbel, dim=-1)
