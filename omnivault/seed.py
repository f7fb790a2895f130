"""Seeding every random number generator the book uses."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

__all__ = ["seed_all"]


def seed_all(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's global random number generators.

    Parameters
    ----------
    seed : int
        A non-negative integer below ``2**32`` (NumPy's limit).

    Raises
    ------
    TypeError
        If `seed` is not an integer (``bool`` is rejected too).
    ValueError
        If `seed` is negative or not below ``2**32``.

    Notes
    -----
    Also sets ``PYTHONHASHSEED`` for child processes. It cannot change the hash
    seed of the running interpreter, which is fixed at start-up.

    Every chapter calls it in its hidden first cell; :doc:`/chapters/index`
    says so.

    Examples
    --------
    >>> import torch
    >>> seed_all(42)
    >>> first = torch.rand(3)
    >>> seed_all(42)
    >>> torch.equal(first, torch.rand(3))
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    # The legacy global generator is the one that np.random.* uses.
    np.random.seed(seed)  # noqa: NPY002
    torch.manual_seed(seed)
