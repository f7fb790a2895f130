"""Hypothesis strategies for logit tensors."""

from __future__ import annotations

import torch
from hypothesis import strategies as st

FINITE = st.floats(min_value=-50.0, max_value=50.0, allow_nan=False, allow_infinity=False)


@st.composite
def logit_vectors(
    draw: st.DrawFn,
    min_size: int = 1,
    max_size: int = 12,
    elements: st.SearchStrategy[float] = FINITE,
    dtype: torch.dtype = torch.float64,
) -> torch.Tensor:
    """A 1-d tensor of finite logits."""
    values = draw(st.lists(elements, min_size=min_size, max_size=max_size))
    return torch.tensor(values, dtype=dtype)


@st.composite
def logit_batches(draw: st.DrawFn, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """A 2-d tensor (rows, classes) of finite logits."""
    rows = draw(st.integers(1, 4))
    classes = draw(st.integers(1, 8))
    values = draw(st.lists(FINITE, min_size=rows * classes, max_size=rows * classes))
    return torch.tensor(values, dtype=dtype).reshape(rows, classes)
