"""Shannon entropy of a probability distribution."""

from __future__ import annotations

import torch
from torch import Tensor

from omnivault._validation import (
    check_floating,
    normalize_dim,
    to_compute_dtype,
)

__all__ = ["entropy"]


def entropy(probs: Tensor, dim: int = -1) -> Tensor:
    r"""Shannon entropy, in nats, of the distributions along `dim`.

    Parameters
    ----------
    probs : Tensor
        Probabilities (floating dtype): non-negative, each slice along `dim`
        summing to one within :math:`\sqrt{\varepsilon}` of the dtype
        (about 3.5e-4 in float32, 1.5e-8 in float64).
    dim : int, default -1
        The dimension holding the outcomes.

    Returns
    -------
    Tensor
        :math:`H(p) = -\sum_i p_i \log p_i` with :math:`0 \log 0 = 0`,
        reduced over `dim`, between 0 and :math:`\log K`.

    Raises
    ------
    TypeError
        If `probs` is not a floating-point tensor.
    ValueError
        If `probs` is 0-d or has no outcomes, contains NaN, inf or a negative
        entry, or a slice does not sum to one.
    IndexError
        If `dim` is out of range.

    Notes
    -----
    The gradient with respect to :math:`p_i` is :math:`-(\log p_i + 1)`
    where :math:`p_i > 0`, and is taken as 0 where :math:`p_i = 0` (the
    one-sided derivative there is :math:`+\infty`). Through softmax, whose
    Jacobian has a zero column wherever :math:`s_i = 0`, this gives the exact
    gradient :math:`-s \odot (\log s + H)` of :math:`H(\sigma(z))` (0 for
    the masked or underflowed entries) instead of NaN.

    The chapter :doc:`/chapters/temperature` defines it and proves that the
    entropy of :math:`\sigma(z / T)` grows with :math:`T`.

    Examples
    --------
    >>> import torch
    >>> entropy(torch.tensor([0.5, 0.5]))
    tensor(0.6931)
    >>> entropy(torch.tensor([1.0, 0.0]))
    tensor(0.)
    """
    probs = check_floating(probs, "probs")
    dim = normalize_dim(probs, dim)
    if probs.dim() == 0 or probs.shape[dim] == 0:
        raise ValueError(f"probs needs at least one outcome along dim {dim}")
    p = to_compute_dtype(probs)
    if not bool(torch.isfinite(p).all()):
        raise ValueError("probs contains NaN or inf")
    if bool((p < 0).any()):
        raise ValueError("probs contains a negative entry")
    tolerance = torch.finfo(probs.dtype).eps ** 0.5
    total = p.sum(dim=dim)
    if not bool(((total - 1).abs() <= tolerance).all()):
        worst = float((total - 1).abs().max())
        raise ValueError(
            f"probs must sum to 1 along dim {dim} (within {tolerance:.1e}); "
            f"the largest deviation is {worst:.3e}"
        )
    # -p log p, with the gradient -(log p + 1) where p > 0 and 0 where p = 0.
    # There the derivative is +inf (torch.special.entr's), and through
    # softmax, whose Jacobian has a zero column wherever s_i = 0, 0 * inf
    # would turn the whole gradient into NaN; any finite value gives the
    # exact composite gradient -s (log s + H).
    positive = p > 0
    safe = torch.where(positive, p, 1.0)
    terms = torch.where(positive, -safe * torch.log(safe), 0.0)
    return terms.sum(dim=dim).to(probs.dtype)
