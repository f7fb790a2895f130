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
    plogp: Tensor = torch.special.entr(p)
    return plogp.sum(dim=dim).to(probs.dtype)
