"""Input checks shared by the public functions: one place, one wording."""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable
from numbers import Real
from typing import Any, TypeVar

import torch

__all__ = [
    "COMPUTE_DTYPES",
    "check_finite_slice_max",
    "check_floating",
    "check_positive_int",
    "check_positive_real",
    "check_temperature",
    "divide_by_temperature",
    "first_order_only",
    "normalize_dim",
    "real_as_float",
    "to_compute_dtype",
]

#: The floating dtypes every function accepts; float8 and other formats
#: cannot be reduced.
COMPUTE_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
_LOW_PRECISION = (torch.float16, torch.bfloat16)
_ALLOWED = "float16, bfloat16, float32 or float64"


def to_compute_dtype(input: torch.Tensor) -> torch.Tensor:
    """Upcast float16 and bfloat16 to float32; keep float32 and float64."""
    return input.float() if input.dtype in _LOW_PRECISION else input


def check_floating(input: object, name: str = "input") -> torch.Tensor:
    """Return `input` if it is a tensor of an accepted floating dtype.

    Anything else raises ``TypeError``.
    """
    if not isinstance(input, torch.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor, got {type(input).__name__}"
        )
    if input.dtype not in COMPUTE_DTYPES:
        raise TypeError(
            f"{name} must have a floating dtype ({_ALLOWED}), "
            f"got {input.dtype}"
        )
    return input


def normalize_dim(input: torch.Tensor, dim: object) -> int:
    """Return `dim` as a non-negative index into ``input.shape``.

    Any integer type is accepted (``int``, NumPy integers, 0-d integer tensors:
    whatever implements ``__index__``), ``bool`` excepted. A 0-d tensor accepts
    ``dim`` in ``{-1, 0}``, as in PyTorch.
    """
    if isinstance(dim, bool):
        raise TypeError("dim must be an integer, got bool")
    try:
        index = operator.index(dim)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(
            f"dim must be an integer, got {type(dim).__name__}"
        ) from None
    ndim = max(input.dim(), 1)
    if not -ndim <= index < ndim:
        raise IndexError(
            f"dim {index} is out of range for a tensor with {input.dim()} "
            "dimension(s): "
            f"expected a value in [{-ndim}, {ndim - 1}]"
        )
    return index % ndim


def real_as_float(value: Real) -> float:
    """Return ``float(value)``, or a signed ``inf`` for an int beyond float64.

    ``float(10**400)`` raises ``OverflowError``; as ``inf`` it fails the
    caller's range check with the caller's message.
    """
    try:
        return float(value)
    except OverflowError:
        return math.inf if int(value) > 0 else -math.inf  # type: ignore[call-overload]


def check_positive_real(
    value: object, name: str, *, none_allowed: bool = False
) -> float:
    """Return `value` as a float if it is a finite real number > 0.

    `none_allowed` only changes the message: the caller handles None.
    """
    expected = "None or " * none_allowed + "a finite real number > 0"
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(
            f"{name} must be {expected}, got {value!r} "
            f"of type {type(value).__name__}"
        )
    number = real_as_float(value)
    if not (math.isfinite(number) and number > 0.0):
        raise ValueError(f"{name} must be {expected}, got {number!r}")
    return number


def check_temperature(temperature: object) -> float:
    """Return `temperature` as a float if it is a finite real number > 0."""
    return check_positive_real(temperature, "temperature")


def divide_by_temperature(
    shifted: torch.Tensor, temperature: float
) -> torch.Tensor:
    """Return ``shifted / temperature``, never NaN for an accepted temperature.

    `shifted` is in a compute dtype (float32 or float64): shifted logits, all
    ``<= 0``, or a gradient. A temperature that the compute dtype holds as a
    normal number divides in that dtype. One that float32 cannot hold (below
    its smallest normal number, about 1.2e-38, or above its largest, about
    3.4e38) would round to 0 or ``inf`` and turn ``0 / T`` or ``-inf / T`` into
    NaN; it divides in float64, which holds it exactly, and the quotient is
    rounded once. A float64 temperature below float64's smallest normal number
    (about 2.2e-308) raises ``ValueError``: no wider type holds it to full
    precision. The result may be `shifted` itself, divided in place, so callers
    pass a buffer of their own.
    """
    if temperature == 1.0:
        return shifted
    info = torch.finfo(shifted.dtype)
    if info.tiny <= temperature <= info.max:
        if shifted.requires_grad:
            return shifted / temperature
        return shifted.div_(temperature)
    if shifted.dtype == torch.float64:
        raise ValueError(
            f"temperature {temperature!r} is not representable in float64 "
            "at full precision "
            f"(it is below the smallest normal number {info.tiny!r})"
        )
    return (shifted.double() / temperature).to(shifted.dtype)


def check_positive_int(value: object, name: str) -> int:
    """Return `value` if it is an int >= 1 (``bool`` excluded).

    Anything else raises ``ValueError``.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return value


def check_finite_slice_max(
    slice_max: torch.Tensor, dim: int, *, allow_empty_sum: bool = False
) -> None:
    """Raise ``ValueError`` unless every slice maximum is finite.

    The maximum of a slice is NaN if the slice holds a NaN, +inf if it holds
    +inf (and no NaN), and -inf exactly when every entry is -inf. Checking the
    maxima, which the stable algorithms compute anyway, therefore validates the
    whole input without another pass over it. With ``allow_empty_sum`` a slice
    that is entirely -inf passes: its log-sum-exp is the logarithm of an empty
    sum, -inf, while its softmax would be 0/0.
    """
    if bool(torch.isfinite(slice_max).all()):
        return
    if bool(torch.isnan(slice_max).any()):
        raise ValueError("input contains NaN")
    if bool((slice_max == math.inf).any()):
        raise ValueError(
            "input contains +inf; only -inf is allowed (it gets probability 0)"
        )
    if allow_empty_sum:
        return
    raise ValueError(
        f"a slice along dim {dim} is entirely -inf, so it has no distribution "
        "(softmax would be 0/0)"
    )


_Backward = TypeVar("_Backward", bound=Callable[..., Any])


def first_order_only(name: str) -> Callable[[_Backward], _Backward]:
    """Make a ``backward`` refuse to be differentiated, not fail silently.

    Under ``create_graph=True`` autograd runs ``backward`` with gradients
    enabled, to differentiate it. A backward written for first derivatives
    only would return gradients with no graph, so a second-order term (a
    gradient penalty, say) would add nothing; this raises instead.
    """

    def decorate(backward: _Backward) -> _Backward:
        @functools.wraps(backward)
        def guarded(ctx: Any, *grads: Any) -> Any:
            if torch.is_grad_enabled():
                raise RuntimeError(
                    f"{name} has no second derivatives: its backward pass "
                    "cannot be differentiated (create_graph=True)"
                )
            return backward(ctx, *grads)

        return guarded  # type: ignore[return-value]

    return decorate
