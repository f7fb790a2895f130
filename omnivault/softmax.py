"""Numerically stable softmax, log-softmax, log-sum-exp and softmax Jacobian.

Every function shifts by the slice maximum before exponentiating (softmax is
translation invariant, so the result is unchanged), raises on input that has
no answer instead of returning NaN, computes float16 and bfloat16 in float32,
and never modifies its input. Where torch's fused kernels compute the same
formula (the shifted softmax, and log-sum-exp where the log1p form changes
nothing), they do the arithmetic in one pass over memory. :func:`softmax`,
:func:`log_softmax` and :func:`logsumexp` are :class:`torch.autograd.Function`
subclasses whose backward passes are the vector-Jacobian products that the
chapter "Derivatives" derives: softmax and log-softmax save only their output,
as PyTorch's own kernels do, and every backward is differentiable, so second
derivatives work.
The book explains each step in the chapters "Translation and scale",
"Numerical stability and accuracy" and "Derivatives".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from omnivault._validation import (
    check_finite_slice_max,
    check_floating,
    check_temperature,
    divide_by_temperature,
    normalize_dim,
    to_compute_dtype,
)

__all__ = [
    "Softmax",
    "log_softmax",
    "logsumexp",
    "softmax",
    "softmax_jacobian",
]


def _shifted(x: Tensor, dim: int, temperature: float) -> Tensor:
    """Validate `x` and return a new tensor ``(x - max) / temperature``.

    `x` is in a compute dtype (float32 or float64). Every entry of the result
    is <= 0 and the maximum of each slice is exactly 0, so ``exp`` of it
    cannot overflow and each slice's sum of exponentials is >= 1.
    """
    slice_max = x.amax(dim=dim, keepdim=True)
    check_finite_slice_max(slice_max, dim)
    return divide_by_temperature(x - slice_max, temperature)


def _sum_of_others(shifted: Tensor, dim: int, argmax: Tensor) -> Tensor:
    r"""Return :math:`\rho = \sum_{i \ne \text{argmax}} e^{x_i - a}` per slice.

    `shifted` is ``x - a`` with ``a`` the slice maximum, so the excluded
    term is exactly :math:`e^0 = 1`. Leaving it out of the sum keeps ``rho`` to
    full relative precision when it is far below 1, which ``log(1 + rho)``
    computed as ``log(sum)`` would round away; ``log1p(rho)`` then keeps it.
    The result keeps the dimension `dim`, with size 1.
    """
    exp = torch.exp(shifted).scatter_(dim, argmax, 0.0)
    return exp.sum(dim=dim, keepdim=True)


#: A slice whose terms other than the largest sum to rho < 1 is "confident":
#: there ``log(1 + s)`` computed from the rounded sum ``1 + s`` loses digits
#: of rho that ``log1p(rho)`` keeps, so such slices take the log1p form.
_LOG2 = math.log(2.0)


def _check_slices(output: Tensor, x: Tensor, dim: int) -> None:
    """Raise ``ValueError`` if `output` of torch's kernels shows bad input.

    ``torch.softmax`` and ``torch.log_softmax`` turn a slice that holds NaN
    or ``+inf``, or only ``-inf``, into NaN entirely (its maximum is NaN,
    ``+inf`` or ``-inf``, and the shift gives NaN), and leave every other
    slice finite or ``-inf``. One entry per slice therefore validates the
    whole input, with no extra pass over it; the input is examined only to
    say what is wrong.
    """
    if bool(torch.isnan(output.select(dim, 0)).any()):
        check_finite_slice_max(x.amax(dim=dim, keepdim=True), dim)
        raise ValueError("input gives no distribution")  # pragma: no cover


def _exact_log_softmax(x: Tensor, dim: int, temperature: float) -> Tensor:
    """Log softmax(x / T) in the log1p form, for validated `x`."""
    slice_max, argmax = torch.max(x, dim=dim, keepdim=True)
    shifted = divide_by_temperature(x - slice_max, temperature)
    others = _sum_of_others(shifted, dim, argmax)
    return shifted.sub_(torch.log1p(others))


def _exact_logsumexp(x: Tensor, dim: int) -> Tensor:
    """lse(x) in the log1p form (keepdim), for `x` with finite slice maxima."""
    slice_max, argmax = torch.max(x, dim=dim, keepdim=True)
    others = _sum_of_others(x - slice_max, dim, argmax)
    return slice_max + torch.log1p(others)


def _redo_slices(
    result: Tensor, x: Tensor, dim: int, where: Tensor, exact: Any
) -> None:
    """Overwrite the slices of `result` selected by `where` with ``exact``.

    `where` has size 1 along `dim`; ``exact(rows)`` takes the selected
    slices of `x` stacked along the last dimension.
    """
    rows = where.movedim(dim, -1).squeeze(-1)
    target = result.movedim(dim, -1)
    target[rows] = exact(x.movedim(dim, -1)[rows])


class _SavesOutput(torch.autograd.Function):
    """Base of softmax and log_softmax of ``x / T``: both save only the output.

    A subclass defines ``forward(input, dim, temperature)`` and
    ``vjp_at_unit_temperature(output, grad, dim)``, its vector-Jacobian
    product at ``T = 1`` in the compute dtype. The chain rule through
    ``x / T`` divides that product by ``T``.
    """

    @staticmethod
    def setup_context(
        ctx: Any, inputs: tuple[Any, ...], output: Tensor
    ) -> None:
        _, ctx.dim, ctx.temperature = inputs
        ctx.save_for_backward(output)

    @staticmethod
    def vjp_at_unit_temperature(
        output: Tensor, grad: Tensor, dim: int
    ) -> Tensor:
        raise NotImplementedError

    @classmethod
    def backward(
        cls, ctx: Any, grad_output: Tensor
    ) -> tuple[Tensor, None, None]:
        (output,) = ctx.saved_tensors
        grad = cls.vjp_at_unit_temperature(
            to_compute_dtype(output), to_compute_dtype(grad_output), ctx.dim
        )
        grad = divide_by_temperature(grad, ctx.temperature)
        return grad.to(output.dtype), None, None


class _SoftmaxFunction(_SavesOutput):
    """softmax(x / T) along `dim`, saving only its output for backward."""

    @staticmethod
    def forward(input: Tensor, dim: int, temperature: float) -> Tensor:
        if input.numel() == 0:
            return torch.empty_like(input)
        x = to_compute_dtype(input)
        if temperature == 1.0:  # torch's fused kernel shifts by the maximum
            probs = torch.softmax(x, dim)
            _check_slices(probs, x, dim)
        else:  # shift and divide here, where every temperature is exact
            probs = torch.softmax(_shifted(x, dim, temperature), dim)
        return probs.to(input.dtype)

    @staticmethod
    def vjp_at_unit_temperature(s: Tensor, g: Tensor, dim: int) -> Tensor:
        if torch.is_grad_enabled():  # building a graph for second derivatives
            return s * (g - (g * s).sum(dim=dim, keepdim=True))
        # the same product, s * (g - <g, s>), in torch's fused kernel
        return torch._softmax_backward_data(g, s, dim, s.dtype)


class _LogSoftmaxFunction(_SavesOutput):
    """log softmax(x / T) along `dim` (log1p form), saving only its output."""

    @staticmethod
    def forward(input: Tensor, dim: int, temperature: float) -> Tensor:
        if input.numel() == 0:
            return torch.empty_like(input)
        x = to_compute_dtype(input)
        if temperature != 1.0:
            check_finite_slice_max(x.amax(dim=dim, keepdim=True), dim)
            return _exact_log_softmax(x, dim, temperature).to(input.dtype)
        # torch's fused kernel computes (x - a) - log(1 + rho); the largest
        # entry of each slice, -log(1 + rho), validates it and finds the
        # confident slices (rho < 1), which are redone in the log1p form.
        log_probs = torch.log_softmax(x, dim)
        top = log_probs.amax(dim=dim, keepdim=True)
        if bool(torch.isnan(top).any()):
            _check_slices(log_probs, x, dim)
        confident = top > -_LOG2
        if bool(confident.any()):
            _redo_slices(
                log_probs,
                x,
                dim,
                confident,
                lambda rows: _exact_log_softmax(rows, -1, 1.0),
            )
        return log_probs.to(input.dtype)

    @staticmethod
    def vjp_at_unit_temperature(log_s: Tensor, g: Tensor, dim: int) -> Tensor:
        total = g.sum(dim=dim, keepdim=True)
        if torch.is_grad_enabled():  # building a graph for second derivatives
            return g - torch.exp(log_s) * total
        return torch.exp(log_s).mul_(total.neg_()).add_(g)  # in s's buffer


class _LogSumExpFunction(torch.autograd.Function):
    """lse(x) along `dim` in the log1p form; its gradient is softmax."""

    @staticmethod
    def forward(input: Tensor, dim: int, keepdim: bool) -> Tensor:
        x = to_compute_dtype(input)
        if x.numel() == 0:  # an empty slice sums to 0: its log-sum-exp is -inf
            total = torch.exp(x).sum(dim=dim, keepdim=keepdim)
            return total.log().to(input.dtype)
        slice_max = x.amax(dim=dim, keepdim=True)
        check_finite_slice_max(slice_max, dim, allow_empty_sum=True)
        # torch's fused kernel gives a + log(1 + rho) (and -inf for a slice of
        # -inf); where rho < 1 the slice is redone as a + log1p(rho).
        result = torch.logsumexp(x, dim=dim, keepdim=True)
        confident = (result - slice_max) < _LOG2  # False for -inf slices
        if bool(confident.any()):
            _redo_slices(
                result,
                x,
                dim,
                confident,
                lambda rows: _exact_logsumexp(rows, -1),
            )
        if not keepdim:
            result = result.squeeze(dim)
        return result.to(input.dtype)

    @staticmethod
    def setup_context(
        ctx: Any, inputs: tuple[Any, ...], output: Tensor
    ) -> None:
        input, ctx.dim, ctx.keepdim = inputs
        ctx.save_for_backward(input, output)

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> tuple[Tensor, None, None]:
        input, output = ctx.saved_tensors
        x, lse, g = (to_compute_dtype(t) for t in (input, output, grad_output))
        if not ctx.keepdim:
            lse, g = lse.unsqueeze(ctx.dim), g.unsqueeze(ctx.dim)
        # The gradient is softmax(x), computed from x: exp(x - lse) with the
        # output rounded to float16, or with |lse| large (two entries tied at
        # 1e8), would not sum to 1. A slice of -inf (lse = -inf, softmax NaN)
        # has gradient 0.
        probs = torch.softmax(x, ctx.dim).masked_fill(torch.isneginf(lse), 0.0)
        return (g * probs).to(input.dtype), None, None


def _prepare(
    input: object, dim: object, temperature: object
) -> tuple[Tensor, int, float]:
    tensor = check_floating(input)
    return tensor, normalize_dim(tensor, dim), check_temperature(temperature)


def _apply(
    function: type[torch.autograd.Function], tensor: Tensor, *args: Any
) -> Tensor:
    """Apply `function` to `tensor`, viewing a 0-d tensor as shape ``(1,)``.

    Where autograd records nothing, the forward pass is called directly: the
    result is the same, without the cost of a graph node.
    """
    apply: Callable[..., Tensor] = function.apply
    if not (torch.is_grad_enabled() and tensor.requires_grad):
        apply = function.forward
    if tensor.dim() == 0:
        return apply(tensor.reshape(1), *args).reshape(())
    return apply(tensor, *args)


def softmax(
    input: Tensor, dim: int = -1, *, temperature: float = 1.0
) -> Tensor:
    r"""Softmax of ``input / temperature`` along `dim`, without overflow.

    Parameters
    ----------
    input : Tensor
        Logits of dtype float16, bfloat16, float32 or float64. Entries may be
        ``-inf`` (probability 0).
    dim : int, default -1
        The dimension whose slices become probability distributions; any
        integer type.
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
        If `input` is not a tensor of one of the four floating dtypes, or
        `dim` is not an integer.
    ValueError
        If `input` contains NaN or ``+inf``, if a slice along `dim` is entirely
        ``-inf``, if `temperature` is not a finite number ``> 0``, or if it is
        subnormal in float64 for float64 input (see Notes).
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
    overflows and the denominator is at least 1. float16 and bfloat16 inputs
    are computed in float32 and rounded once at the end. At :math:`T = 1`
    the shift, the exponentials and the division run in torch's fused
    softmax kernel, which computes this formula (with its own vectorised
    exponential and order of summation) in one pass over memory; the input
    is validated from one entry of each output slice,
    which the kernel makes NaN exactly for a slice that holds NaN or
    ``+inf`` or only ``-inf``. Other temperatures are shifted and divided
    here (see below), then exponentiated and normalised by the same kernel.

    Every accepted temperature works in every dtype. One that float32 cannot
    hold as a normal number (below about 1.2e-38 or above about 3.4e38) divides
    in float64, so ``T = 1e-46`` gives the one-hot vector of the maximiser
    (ties share) and ``T = 3.5e38`` keeps a ``-inf`` logit at probability 0.
    For float64 input a temperature below float64's smallest normal number
    (about 2.2e-308) raises ``ValueError``: it is not held to full precision.

    The backward pass is the vector-Jacobian product
    :math:`\bar z = s \odot (g - \langle g, s \rangle \mathbf 1) / T` with
    :math:`s` the saved output, the only tensor kept for it; it is itself
    differentiable (second derivatives work). An empty tensor returns an empty
    tensor that still takes part in autograd.

    The chapters :doc:`/chapters/softmax_distribution` (what it computes),
    :doc:`/chapters/numerical_stability` (how, without overflow) and
    :doc:`/chapters/derivatives` (its backward pass) explain it.

    References
    ----------
    .. [1] P. Blanchard, D. J. Higham and N. J. Higham, "Accurately computing
       the log-sum-exp and softmax functions", IMA J. Numer. Anal. 41(4), 2021.

    Examples
    --------
    >>> import torch
    >>> softmax(torch.tensor([1.0, 2.0, 3.0]))
    tensor([0.0900, 0.2447, 0.6652])
    >>> softmax(torch.tensor([1000.0, 0.0]))  # the naive formula gives nan
    tensor([1., 0.])
    >>> softmax(torch.tensor([1.0, 2.0, 3.0]), temperature=10.0)
    tensor([0.3006, 0.3322, 0.3672])
    >>> softmax(torch.tensor([1.0, 3.0, 3.0]), temperature=1e-46)
    tensor([0.0000, 0.5000, 0.5000])
    >>> z = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> softmax(z).grad_fn.saved_tensors
    (tensor([0.0900, 0.2447, 0.6652], grad_fn=<_SoftmaxFunctionBackward>),)
    """
    tensor, dim, temperature = _prepare(input, dim, temperature)
    return _apply(_SoftmaxFunction, tensor, dim, temperature)


def log_softmax(
    input: Tensor, dim: int = -1, *, temperature: float = 1.0
) -> Tensor:
    r"""Log of :func:`softmax`, computed so that it never underflows to -inf.

    Parameters
    ----------
    input : Tensor
        Logits of dtype float16, bfloat16, float32 or float64. Entries may be
        ``-inf``.
    dim : int, default -1
        The dimension along which to normalise; any integer type.
    temperature : float, default 1.0
        A finite real number :math:`T > 0`; the logits are divided by it.

    Returns
    -------
    Tensor
        Log-probabilities with the shape and dtype of `input`.

    Raises
    ------
    TypeError
        If `input` is not a tensor of one of the four floating dtypes, or
        `dim` is not an integer.
    ValueError
        If `input` contains NaN or ``+inf``, if a slice along `dim` is entirely
        ``-inf``, or if `temperature` is not a finite number ``> 0`` (or is
        subnormal in float64 for float64 input, as in :func:`softmax`).
    IndexError
        If `dim` is out of range.

    Notes
    -----
    With :math:`a = \max_k x_k` attained at index :math:`k^*` and
    :math:`x = z / T`, this is the form of Blanchard, Higham and Higham [1]_:

    .. math::

        \log \operatorname{softmax}(x)_i
        = (x_i - a) - \operatorname{log1p}(\rho),
        \qquad \rho = \sum_{k \neq k^*} e^{x_k - a} .

    ``log(softmax(z))`` loses every probability that underflows to 0; this form
    keeps it. Leaving the term :math:`e^0 = 1` out of :math:`\rho` and using
    ``log1p`` keeps the log-probability of a confident class,
    :math:`-\operatorname{log1p}(\rho)` with :math:`\rho` far below the unit
    roundoff, to full relative precision, where ``log(1 + rho)`` rounds it to
    0. Where :math:`\rho \ge 1` the two agree to rounding (``1 + rho`` loses
    at most one bit of :math:`\rho`), so at :math:`T = 1` torch's fused kernel
    computes every slice, and the slices with :math:`\rho < 1`, recognised by
    their largest entry :math:`-\log(1 + \rho) > -\log 2`, are computed again
    in the log1p form.
    The backward pass is :math:`\bar z = (g - e^{y} \textstyle\sum_k g_k) / T`,
    with :math:`y` the saved output, the only tensor kept for it.

    The chapter :doc:`/chapters/numerical_stability` derives the log1p form
    and measures its accuracy.

    References
    ----------
    .. [1] P. Blanchard, D. J. Higham and N. J. Higham, "Accurately computing
       the log-sum-exp and softmax functions", IMA J. Numer. Anal. 41(4), 2021.

    Examples
    --------
    >>> import torch
    >>> log_softmax(torch.tensor([1000.0, 1.0]))
    tensor([   0., -999.])
    >>> torch.log(softmax(torch.tensor([1000.0, 1.0])))
    tensor([0., -inf])
    >>> log_softmax(torch.tensor([0.0, -20.0]))[0].item()  # -log1p(e^-20)
    -2.0611536e-09
    """
    tensor, dim, temperature = _prepare(input, dim, temperature)
    return _apply(_LogSoftmaxFunction, tensor, dim, temperature)


def logsumexp(
    input: Tensor, dim: int = -1, *, keepdim: bool = False
) -> Tensor:
    r"""Log-sum-exp :math:`\log \sum_k e^{z_k}` along `dim`, without overflow.

    Parameters
    ----------
    input : Tensor
        Dtype float16, bfloat16, float32 or float64. Entries may be ``-inf``.
    dim : int, default -1
        The dimension to reduce; any integer type.
    keepdim : bool, default False
        Keep the reduced dimension with size 1.

    Returns
    -------
    Tensor
        The log-sum-exp of each slice, in the dtype of `input`; ``-inf`` for a
        slice that is entirely ``-inf`` or empty.

    Raises
    ------
    TypeError
        If `input` is not a tensor of one of the four floating dtypes, or
        `dim` is not an integer.
    ValueError
        If `input` contains NaN or ``+inf``.
    IndexError
        If `dim` is out of range.

    Notes
    -----
    With :math:`a = \max_k z_k` attained at index :math:`k^*`, this is the form
    of Blanchard, Higham and Higham [1]_:

    .. math::

        \operatorname{lse}(z) = a + \operatorname{log1p}(\rho),
        \qquad \rho = \sum_{k \neq k^*} e^{z_k - a},
        \qquad a \le \operatorname{lse}(z) \le a + \log K .

    Leaving out the term :math:`e^0 = 1` and using ``log1p`` keeps a small
    :math:`\rho` that ``log(1 + rho)`` would round away, so the result is
    accurate relative to itself also where it is near 0 (float32
    ``[0, -20]``: 2.06e-9, not 0). Where :math:`\rho \ge 1` the two forms
    agree to rounding, so torch's fused kernel computes every slice first and
    the slices with
    :math:`\rho < 1` (:math:`\operatorname{lse} - a < \log 2`) are computed
    again in the log1p form. A slice that is entirely ``-inf`` is a sum of
    no positive terms: its log-sum-exp is ``-inf``, the logarithm of an
    empty sum, as in :func:`torch.logsumexp`, and its gradient is 0. (Its
    softmax would be 0/0, which is why :func:`softmax` and
    :func:`log_softmax` raise there.)

    log-sum-exp is a smooth maximum and its gradient is softmax, which the
    backward pass computes from the saved input (in float32 for float16 and
    bfloat16), not as :math:`e^{z - \operatorname{lse}(z)}` from the rounded
    output, so that it sums to one. It is *not* translation invariant:
    :math:`\operatorname{lse}(z + c) = \operatorname{lse}(z) + c`.

    The chapters :doc:`/chapters/numerical_stability` (computing it) and
    :doc:`/chapters/smooth_argmax` (a smooth maximum) explain it.

    References
    ----------
    .. [1] P. Blanchard, D. J. Higham and N. J. Higham, "Accurately computing
       the log-sum-exp and softmax functions", IMA J. Numer. Anal. 41(4), 2021.

    Examples
    --------
    >>> import torch
    >>> logsumexp(torch.tensor([1.0, 2.0, 3.0]))
    tensor(3.4076)
    >>> logsumexp(torch.tensor([1000.0, 1000.0], dtype=torch.float64))
    tensor(1000.6931, dtype=torch.float64)
    >>> logsumexp(torch.tensor([0.0, -20.0])).item()  # torch.logsumexp: 0.0
    2.0611536e-09
    >>> logsumexp(torch.tensor([float("-inf"), float("-inf")]))
    tensor(-inf)
    """
    tensor = check_floating(input)
    dim = normalize_dim(tensor, dim)
    if not isinstance(keepdim, bool):
        raise TypeError(
            f"keepdim must be a bool, got {type(keepdim).__name__}"
        )
    return _apply(_LogSumExpFunction, tensor, dim, keepdim)


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
        :math:`\partial \sigma_i / \partial z_j
        = \sigma_i(\delta_{ij} - \sigma_j)`.

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

    The chapter :doc:`/chapters/derivatives` derives and checks it.

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
        raise ValueError(
            "input must have at least one dimension (the K classes), "
            "got a 0-d tensor"
        )
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

    Notes
    -----
    The chapter :doc:`/chapters/softmax_distribution` introduces it.

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
