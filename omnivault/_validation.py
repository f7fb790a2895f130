"""Input checks shared by the public functions: one place, one wording."""

from __future__ import annotations

import math
from numbers import Real

import torch

__all__ = [
    "check_finite_slice_max",
    "check_floating",
    "check_positive_int",
    "check_temperature",
    "normalize_dim",
    "to_compute_dtype",
]

_LOW_PRECISION = (torch.float16, torch.bfloat16)


def to_compute_dtype(input: torch.Tensor) -> torch.Tensor:
    """Upcast float16 and bfloat16 to float32; return float32 and float64 unchanged."""
    return input.float() if input.dtype in _LOW_PRECISION else input


def check_floating(input: object, name: str = "input") -> torch.Tensor:
    """Return `input` if it is a floating-point tensor, else raise ``TypeError``."""
    if not isinstance(input, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(input).__name__}")
    if not input.is_floating_point():
        raise TypeError(
            f"{name} must have a floating dtype (float16, bfloat16, float32 or float64), "
            f"got {input.dtype}"
        )
    return input


def normalize_dim(input: torch.Tensor, dim: int) -> int:
    """Return `dim` as a non-negative index into ``input.shape``.

    A 0-d tensor accepts ``dim`` in ``{-1, 0}``, as in PyTorch.
    """
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    ndim = max(input.dim(), 1)
    if not -ndim <= dim < ndim:
        raise IndexError(
            f"dim {dim} is out of range for a tensor with {input.dim()} dimension(s): "
            f"expected a value in [{-ndim}, {ndim - 1}]"
        )
    return dim % ndim


def check_temperature(temperature: object) -> float:
    """Return `temperature` as a float if it is a finite real number > 0."""
    if isinstance(temperature, bool) or not isinstance(temperature, Real):
        raise ValueError(
            f"temperature must be a finite real number > 0, got {temperature!r} "
            f"of type {type(temperature).__name__}"
        )
    value = float(temperature)
    if not (math.isfinite(value) and value > 0.0):
        raise ValueError(f"temperature must be a finite real number > 0, got {value!r}")
    return value


def check_positive_int(value: object, name: str) -> int:
    """Return `value` if it is an int >= 1 (``bool`` excluded), else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return value


def check_finite_slice_max(slice_max: torch.Tensor, dim: int) -> None:
    """Raise ``ValueError`` unless every slice maximum is finite.

    The maximum of a slice is NaN if the slice holds a NaN, +inf if it holds
    +inf (and no NaN), and -inf exactly when every entry is -inf. Checking the
    maxima, which the stable algorithms compute anyway, therefore validates the
    whole input without another pass over it.
    """
    if bool(torch.isfinite(slice_max).all()):
        return
    if bool(torch.isnan(slice_max).any()):
        raise ValueError("input contains NaN")
    if bool((slice_max == math.inf).any()):
        raise ValueError("input contains +inf; only -inf is allowed (it gets probability 0)")
    raise ValueError(
        f"a slice along dim {dim} is entirely -inf, so it has no distribution "
        "(softmax would be 0/0)"
    )
