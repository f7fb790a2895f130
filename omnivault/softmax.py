"""Numerically stable softmax, log-softmax, log-sum-exp and the softmax Jacobian.

Every function shifts by the slice maximum before exponentiating (softmax is
translation invariant, so the result is unchanged), validates its input through
that same maximum, computes float16 and bfloat16 in float32, and never modifies
its input. The book explains each step in the chapters "Translation and scale",
"Numerical stability and accuracy" and "Derivatives".
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from omnivault._validation import (
    check_finite_slice_max,
    check_floating,
    check_temperature,
    normalize_dim,
    to_compute_dtype,
)

__all__ = ["Softmax", "log_softmax", "logsumexp", "softmax", "softmax_jacobian"]

def _shifted(input: Tensor, dim: int, temperature: float) -> Tensor:
    """Validate `input` and return ``(input - max) / temperature`` along `dim`.

    Every entry of the result is <= 0 and the maximum of each slice is exactly 0,
    so ``exp`` of it cannot overflow and each slice's sum of exponentials is >= 1.
    The maximum is detached: the result does not depend on the shift.
    """
    x = to_compute_dtype(input)
    slice_max = x.amax(dim=dim, keepdim=True).detach()
    check_finite_slice_max(slice_max, dim)
    shifted = x - slice_max
    return shifted if temperature == 1.0 else shifted / temperature


def _tracks_grad(input: Tensor) -> bool:
    """Whether autograd records operations on `input` (then no in-place shortcuts)."""
    return torch.is_grad_enabled() and input.requires_grad


def _prepare(input: object, dim: int, temperature: object) -> tuple[Tensor, int, float]:
    tensor = check_floating(input)
    return tensor, normalize_dim(tensor, dim), check_temperature(temperature)


def softmax(input: Tensor, dim: int = -1, *, temperature: float = 1.0) -> Tensor:
    r"""Softmax along `dim`, divided by a temperature, computed without overflow.

    Parameters
    ----------
    input : Tensor
        Logits of any floating dtype. Entries may be ``-inf`` (probability 0).
    dim : int, default -1
        The dimension whose slices become probability distributions.
    temperature : float, default 1.0
        A finite real number :math:`T > 0`; the logits are divided by it.

    Returns
    -------
    Tensor
        Probabilities with the shape and dtype of `input`; each slice along
        `dim` is non-negative and sums to one.

    Raises
    ------
    TypeError
        If `input` is not a floating-point tensor.
    ValueError
        If `input` contains NaN or ``+inf``, if a slice along `dim` is entirely
        ``-inf``, or if `temperature` is not a finite number ``> 0``.
    IndexError
        If `dim` is out of range.

    Notes
    -----
    .. math::

        \operatorname{softmax}(z / T)_i
        = \frac{e^{(z_i - m) / T}}{\sum_{k=1}^{K} e^{(z_k - m) / T}},
        \qquad m = \max_k z_k .

    Subtracting :math:`m` changes nothing mathematically (translation
    invariance) but makes every exponent :math:`\le 0`, so no exponential
    overflows and the denominator is at least 1. float16 and bfloat16 inputs are
    computed in float32 and rounded once at the end.

    References
    ----------
    .. [1] P. Blanchard, D. J. Higham and N. J. Higham, "Accurately computing the
       log-sum-exp and softmax functions", IMA J. Numer. Anal. 41(4), 2021.

    Examples
    --------
    >>> import torch
    >>> softmax(torch.tensor([1.0, 2.0, 3.0]))
    tensor([0.0900, 0.2447, 0.6652])
    >>> softmax(torch.tensor([1000.0, 0.0]))  # the naive formula gives nan here
    tensor([1., 0.])
    >>> softmax(torch.tensor([1.0, 2.0, 3.0]), temperature=10.0)
    tensor([0.3006, 0.3322, 0.3672])
    >>> softmax(torch.tensor([0.0, float("-inf")]))
    tensor([1., 0.])
    """
    tensor, dim, temperature = _prepare(input, dim, temperature)
    if tensor.numel() == 0:
        return torch.empty_like(tensor)
    shifted = _shifted(tensor, dim, temperature)
    if _tracks_grad(tensor):
        exp = torch.exp(shifted)
        return (exp / exp.sum(dim=dim, keepdim=True)).to(tensor.dtype)
    # No graph to keep: reuse the fresh buffer instead of allocating two more.
    probs = shifted.exp_()
    return probs.div_(probs.sum(dim=dim, keepdim=True)).to(tensor.dtype)


def log_softmax(input: Tensor, dim: int = -1, *, temperature: float = 1.0) -> Tensor:
    r"""Logarithm of :func:`softmax`, computed directly so that it never underflows to -inf.

    Parameters
    ----------
    input : Tensor
        Logits of any floating dtype. Entries may be ``-inf``.
    dim : int, default -1
        The dimension along which to normalise.
    temperature : float, default 1.0
        A finite real number :math:`T > 0`; the logits are divided by it.

    Returns
    -------
    Tensor
        Log-probabilities with the shape and dtype of `input`.

    Raises
    ------
    TypeError
        If `input` is not a floating-point tensor.
    ValueError
        If `input` contains NaN or ``+inf``, if a slice along `dim` is entirely
        ``-inf``, or if `temperature` is not a finite number ``> 0``.
    IndexError
        If `dim` is out of range.

    Notes
    -----
    .. math::

        \log \operatorname{softmax}(z)_i = (z_i - m) - \log \sum_{k} e^{z_k - m},
        \qquad m = \max_k z_k ,

    (with :math:`z` replaced by :math:`z / T`). ``log(softmax(z))`` loses every
    probability that underflows to 0; this form keeps it.

    Examples
    --------
    >>> import torch
    >>> log_softmax(torch.tensor([1000.0, 1.0]))
    tensor([   0., -999.])
    >>> torch.log(softmax(torch.tensor([1000.0, 1.0])))
    tensor([0., -inf])
    """
    tensor, dim, temperature = _prepare(input, dim, temperature)
    if tensor.numel() == 0:
        return torch.empty_like(tensor)
    shifted = _shifted(tensor, dim, temperature)
    log_normaliser = torch.log(torch.exp(shifted).sum(dim=dim, keepdim=True))
    if _tracks_grad(tensor):
        return (shifted - log_normaliser).to(tensor.dtype)
    return shifted.sub_(log_normaliser).to(tensor.dtype)


def logsumexp(input: Tensor, dim: int = -1, *, keepdim: bool = False) -> Tensor:
    r"""Log-sum-exp :math:`\log \sum_k e^{z_k}` along `dim`, without overflow.

    Parameters
    ----------
    input : Tensor
        Any floating dtype. Entries may be ``-inf``.
    dim : int, default -1
        The dimension to reduce.
    keepdim : bool, default False
        Keep the reduced dimension with size 1.

    Returns
    -------
    Tensor
        The log-sum-exp of each slice, in the dtype of `input`.

    Raises
    ------
    TypeError
        If `input` is not a floating-point tensor.
    ValueError
        If `input` contains NaN or ``+inf`` or a slice along `dim` is entirely
        ``-inf`` (its log-sum-exp would be ``-inf``).
    IndexError
        If `dim` is out of range.

    Notes
    -----
    With :math:`m = \max_k z_k`,

    .. math::

        \operatorname{lse}(z) = m + \log \sum_k e^{z_k - m},
        \qquad m \le \operatorname{lse}(z) \le m + \log K .

    log-sum-exp is a smooth maximum and the gradient of log-sum-exp is softmax.
    It is *not* translation invariant: :math:`\operatorname{lse}(z + c) =
    \operatorname{lse}(z) + c`. An empty slice has log-sum-exp ``-inf``
    (the logarithm of an empty sum), as in :func:`torch.logsumexp`.

    Examples
    --------
    >>> import torch
    >>> logsumexp(torch.tensor([1.0, 2.0, 3.0]))
    tensor(3.4076)
    >>> logsumexp(torch.tensor([1000.0, 1000.0], dtype=torch.float64))
    tensor(1000.6931, dtype=torch.float64)
    """
    tensor = check_floating(input)
    dim = normalize_dim(tensor, dim)
    if tensor.numel() == 0:
        return torch.exp(tensor).sum(dim=dim, keepdim=keepdim).log()
    x = to_compute_dtype(tensor)
    slice_max = x.amax(dim=dim, keepdim=True).detach()
    check_finite_slice_max(slice_max, dim)
    result = slice_max + torch.log(torch.exp(x - slice_max).sum(dim=dim, keepdim=True))
    if not keepdim and tensor.dim() > 0:
        result = result.squeeze(dim)
    return result.to(tensor.dtype)


def softmax_jacobian(input: Tensor) -> Tensor:
    r"""Jacobian of softmax along the last dimension: ``diag(s) - s s^T``.

    Parameters
    ----------
    input : Tensor
        Logits of shape ``(..., K)`` with ``K >= 1``, any floating dtype.

    Returns
    -------
    Tensor
        Shape ``(..., K, K)``; entry ``[..., i, j]`` is
        :math:`\partial \sigma_i / \partial z_j = \sigma_i(\delta_{ij} - \sigma_j)`.

    Raises
    ------
    TypeError
        If `input` is not a floating-point tensor.
    ValueError
        If `input` is 0-d, or as for :func:`softmax`.

    Notes
    -----
    The matrix is symmetric and positive semidefinite, annihilates the vector
    of ones, has rank :math:`K - 1`, is the covariance of a one-hot draw from
    :math:`\operatorname{Categorical}(s)` and the Hessian of log-sum-exp. The
    chapter "Derivatives" proves each fact.

    Examples
    --------
    >>> import torch
    >>> J = softmax_jacobian(torch.tensor([0.0, 0.0]))
    >>> J
    tensor([[ 0.2500, -0.2500],
            [-0.2500,  0.2500]])
    >>> J.sum(dim=-1)
    tensor([0., 0.])
    """
    tensor = check_floating(input)
    if tensor.dim() == 0:
        raise ValueError("input must have at least one dimension (the K classes), got a 0-d tensor")
    probs = softmax(tensor, dim=-1)
    return torch.diag_embed(probs) - probs.unsqueeze(-1) * probs.unsqueeze(-2)


class Softmax(nn.Module):
    """Module form of :func:`softmax`, like :class:`torch.nn.Softmax`.

    Parameters
    ----------
    dim : int, default -1
        The dimension whose slices become probability distributions.
    temperature : float, default 1.0
        A finite real number ``> 0``; the logits are divided by it.

    Examples
    --------
    >>> import torch
    >>> Softmax(dim=1)(torch.tensor([[1.0, 1.0], [0.0, 1000.0]]))
    tensor([[0.5000, 0.5000],
            [0.0000, 1.0000]])
    """

    def __init__(self, dim: int = -1, *, temperature: float = 1.0) -> None:
        super().__init__()
        self.dim = dim
        self.temperature = check_temperature(temperature)

    def forward(self, input: Tensor) -> Tensor:
        """Apply :func:`softmax` along ``self.dim``."""
        return softmax(input, self.dim, temperature=self.temperature)

    def extra_repr(self) -> str:
        """Show `dim` and `temperature` in the module's repr."""
        return f"dim={self.dim}, temperature={self.temperature}"
