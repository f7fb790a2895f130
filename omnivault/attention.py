"""Scaled dot-product attention, tiled over keys with the online softmax.

:func:`attention` computes ``softmax(Q K^T * scale + M) V`` without ever
storing the ``L x S`` matrix of scores or probabilities: it visits the keys in
blocks and keeps, for every query, a running maximum, a running sum and a
rescaled accumulator of values (FlashAttention). Its backward pass recomputes
each block of probabilities from the saved row log-sum-exp
(FlashAttention-2). The chapter "Softmax in attention" derives every step.
"""

from __future__ import annotations

import math
from typing import Any, Final

import torch
from torch import Tensor
from torch.autograd.function import FunctionCtx

from omnivault._validation import (
    check_floating,
    check_positive_int,
    check_positive_real,
    first_order_only,
    to_compute_dtype,
)

__all__ = ["DEFAULT_BLOCK_SIZE", "attention"]

#: Keys per block, chosen by measurement
#: (``benchmarks/attention_memory_speed.py``): large enough that each block
#: is a few big matrix products, small enough that one block stays small.
DEFAULT_BLOCK_SIZE: Final[int] = 512

#: Queries per tile. Rows are independent, so this changes nothing in the
#: result; it keeps one tile of scores (heads x 256 x block_size) small
#: enough to stay in cache.
_QUERY_BLOCK: Final[int] = 256


def _check_finite(tensor: Tensor, name: str) -> None:
    """Raise ``ValueError`` if `tensor` holds NaN or an infinity."""
    if bool(torch.isfinite(tensor).all()):
        return
    if bool(torch.isnan(tensor).any()):
        raise ValueError(f"{name} contains NaN")
    raise ValueError(f"{name} contains inf; {name} must be finite")


def _check_scale(scale: object, head_dim: int) -> float:
    """Return ``1 / sqrt(head_dim)`` for None, else `scale` if finite > 0."""
    if scale is None:
        return 1.0 / math.sqrt(head_dim)
    return check_positive_real(scale, "scale", none_allowed=True)


def _check_mask(
    attn_mask: object, query: Tensor, target: tuple[int, ...]
) -> Tensor:
    """Validate `attn_mask`: bool, or `query`'s float dtype; broadcastable."""
    if not isinstance(attn_mask, Tensor):
        kind = type(attn_mask).__name__
        raise TypeError(
            f"attn_mask must be None or a torch.Tensor, got {kind}"
        )
    if attn_mask.dtype != torch.bool and not attn_mask.is_floating_point():
        raise TypeError(
            "attn_mask must be a bool or floating tensor, "
            f"got {attn_mask.dtype}"
        )
    if attn_mask.is_floating_point() and attn_mask.dtype != query.dtype:
        raise ValueError(
            "a floating attn_mask must have the dtype of query "
            f"({query.dtype}), got {attn_mask.dtype}"
        )
    ndim = attn_mask.dim()
    trailing = target[len(target) - ndim :] if ndim <= len(target) else ()
    broadcasts = len(trailing) == ndim and all(
        size in (1, wanted)
        for size, wanted in zip(attn_mask.shape, trailing, strict=True)
    )
    if not broadcasts:
        raise ValueError(
            f"attn_mask of shape {tuple(attn_mask.shape)} does not "
            f"broadcast to (..., L, S) = {target}"
        )
    if attn_mask.is_floating_point():
        if bool(torch.isnan(attn_mask).any()):
            raise ValueError("attn_mask contains NaN")
        if bool((attn_mask == math.inf).any()):
            raise ValueError(
                "attn_mask contains +inf; only -inf (key excluded) is allowed"
            )
    return attn_mask


def _tile_mask(
    mask: Tensor | None, n: int, rows: tuple[int, int], cols: tuple[int, int]
) -> Tensor | None:
    """Return rows `rows` and keys `cols` of `mask`, shape ``(N, r, c)``."""
    if mask is None:
        return None
    tile = mask[..., rows[0] : rows[1], cols[0] : cols[1]]
    return tile.reshape(n, tile.shape[-2], tile.shape[-1])


def _fully_masked_rows(mask: Tensor) -> int:
    """Count the query rows in which `mask` excludes every key."""
    excluded = ~mask if mask.dtype == torch.bool else mask == -math.inf
    return int(excluded.all(dim=-1).sum())


def _tile_buffer(like: Tensor, n: int, block_size: int) -> Tensor:
    """Allocate a flat scratch buffer for one tile of scores.

    Tiles are written into it rather than allocated afresh: a new tile of
    several MiB is a fresh memory mapping, whose pages fault in anew on every
    tile, which measurably slowed the whole computation.
    """
    return like.new_empty(n * _QUERY_BLOCK * block_size)


def _scores(
    query: Tensor,
    key: Tensor,
    mask: Tensor | None,
    causal: bool,
    rows: tuple[int, int],
    cols: tuple[int, int],
    buffer: Tensor,
) -> Tensor:
    """Return the masked scores of queries `rows` against keys `cols`.

    The result, of shape ``(N, rows, cols)``, is a view of the flat
    `buffer` (from `_tile_buffer`), which it overwrites. `query` is already
    multiplied by the scale. A bool mask sets the excluded scores to
    ``-inf``, a floating mask is added, and the causal mask (query ``i``
    sees key ``j`` iff ``j <= i``, top-left aligned as in torch) sets
    ``-inf`` above the diagonal.
    """
    n = query.shape[0]
    q_rows = query[:, rows[0] : rows[1]]
    k_cols = key[:, cols[0] : cols[1]]
    shape = (n, rows[1] - rows[0], cols[1] - cols[0])
    scores = buffer[: math.prod(shape)].view(shape)
    torch.bmm(q_rows, k_cols.transpose(1, 2), out=scores)
    tile = _tile_mask(mask, n, rows, cols)
    if tile is not None:
        if tile.dtype == torch.bool:
            scores.masked_fill_(~tile, -math.inf)
        else:
            scores.add_(tile)
    # Causal: only a tile with a key after one of its queries needs masking.
    if causal and cols[1] - 1 > rows[0]:
        row = torch.arange(rows[0], rows[1]).unsqueeze(-1)
        col = torch.arange(cols[0], cols[1])
        scores.masked_fill_(col > row, -math.inf)
    return scores


class _TiledAttention(torch.autograd.Function):
    """Tiled attention with a recomputing backward.

    The inputs are already validated and reshaped: query ``(N, L, E)``
    (already multiplied by the scale), key ``(N, S, E)``, value
    ``(N, S, Ev)``; mask of shape ``(..., L, S)`` with ``prod(...) = N``
    (usually an expanded view, so that only one tile at a time is
    materialised) or None. Returns the output ``(N, L, Ev)`` and the row
    log-sum-exp ``(N, L)``.
    """

    @staticmethod
    def forward(
        ctx: FunctionCtx,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        mask: Tensor | None,
        causal: bool,
        block_size: int,
    ) -> tuple[Tensor, Tensor]:
        n, length, _ = query.shape
        keys = key.shape[1]
        out = query.new_empty((n, length, value.shape[-1]))
        maxima = query.new_empty((n, length))
        log_sums = query.new_empty((n, length))
        buffer = _tile_buffer(query, n, block_size)
        for r0 in range(0, length, _QUERY_BLOCK):
            r1 = min(r0 + _QUERY_BLOCK, length)
            # The state of the online softmax for these queries: m, l and O.
            row_max = query.new_full((n, r1 - r0), -math.inf)
            row_sum = query.new_zeros((n, r1 - r0))
            acc = query.new_zeros((n, r1 - r0, value.shape[-1]))
            for c0 in range(0, keys, block_size):
                if causal and c0 > r1 - 1:
                    break  # no query of the tile sees these or later keys
                c1 = min(c0 + block_size, keys)
                scores = _scores(
                    query, key, mask, causal, (r0, r1), (c0, c1), buffer
                )
                new_max = torch.maximum(row_max, scores.amax(dim=-1))
                # Guard: a row whose keys so far are all masked has
                # new_max = -inf; shift it by 0 instead, so that
                # exp(-inf - 0) = 0 rather than exp(nan).
                shift = new_max.masked_fill(new_max == -math.inf, 0.0)
                correction = torch.exp(row_max - shift)
                probs = scores.sub_(shift.unsqueeze(-1)).exp_()
                row_sum.mul_(correction).add_(probs.sum(dim=-1))
                acc.mul_(correction.unsqueeze(-1))
                acc.baddbmm_(probs, value[:, c0:c1])
                row_max = new_max
            torch.div(acc, row_sum.unsqueeze(-1), out=out[:, r0:r1])
            maxima[:, r0:r1] = row_max
            torch.log(row_sum, out=log_sums[:, r0:r1])
        # The backward pass forms P = exp((X - m) - log l). Adding the two
        # first, as the saved lse = m + log l, would round log l away where
        # |m| is large (a padding row of scores near -1e9, say).
        lse = maxima + log_sums
        saved = (query, key, value, mask, out, maxima, log_sums)
        ctx.save_for_backward(*saved)  # type: ignore[arg-type]
        ctx.causal = causal  # type: ignore[attr-defined]
        ctx.block_size = block_size  # type: ignore[attr-defined]
        ctx.mark_non_differentiable(lse)
        return out, lse

    @staticmethod
    @first_order_only("attention")
    def backward(
        ctx: Any, grad_out: Tensor, _grad_lse: Tensor | None
    ) -> tuple[Tensor | None, ...]:
        query, key, value, mask, out, maxima, log_sums = ctx.saved_tensors
        causal: bool = ctx.causal
        block_size: int = ctx.block_size
        n, length, _ = query.shape
        keys = key.shape[1]
        # contiguous: the gradient of a sum, for one, is an expanded view
        grad_out = grad_out.to(out.dtype).contiguous()
        delta = (grad_out * out).sum(dim=-1, keepdim=True)  # rowsum(dO o O)
        max_col, log_sum_col = maxima.unsqueeze(-1), log_sums.unsqueeze(-1)
        grad_query = torch.zeros_like(query)
        grad_key = torch.empty_like(key)
        grad_value = torch.empty_like(value)
        want_mask = (
            mask is not None
            and mask.is_floating_point()
            and ctx.needs_input_grad[3]
        )
        grad_mask = query.new_zeros((n, length, keys)) if want_mask else None
        buffer = _tile_buffer(query, n, block_size)
        grad_buffer = _tile_buffer(query, n, block_size)
        for c0 in range(0, keys, block_size):
            c1 = min(c0 + block_size, keys)
            k_block, v_block = key[:, c0:c1], value[:, c0:c1]
            # Contiguous accumulators: batched products into strided views
            # are slow.
            dk_block = key.new_zeros((n, c1 - c0, key.shape[-1]))
            dv_block = value.new_zeros((n, c1 - c0, value.shape[-1]))
            # causal: queries before c0 see none of these keys
            first = (c0 // _QUERY_BLOCK) * _QUERY_BLOCK if causal else 0
            for r0 in range(first, length, _QUERY_BLOCK):
                r1 = min(r0 + _QUERY_BLOCK, length)
                q_rows, do_rows = query[:, r0:r1], grad_out[:, r0:r1]
                scores = _scores(
                    query, key, mask, causal, (r0, r1), (c0, c1), buffer
                )
                # P = exp((S - m) - log l)
                scores.sub_(max_col[:, r0:r1]).sub_(log_sum_col[:, r0:r1])
                probs = scores.exp_()
                # dV += P^T dO
                dv_block.baddbmm_(probs.transpose(1, 2), do_rows)
                # dP = dO V^T, then dS = P o (dP - D) in place
                grad_scores = grad_buffer[: probs.numel()].view(probs.shape)
                torch.bmm(do_rows, v_block.transpose(1, 2), out=grad_scores)
                grad_scores.sub_(delta[:, r0:r1]).mul_(probs)
                if grad_mask is not None:
                    grad_mask[:, r0:r1, c0:c1] = grad_scores
                # dQ += dS K and dK += dS^T Q
                grad_query[:, r0:r1] += torch.bmm(grad_scores, k_block)
                dk_block.baddbmm_(grad_scores.transpose(1, 2), q_rows)
            grad_key[:, c0:c1] = dk_block
            grad_value[:, c0:c1] = dv_block
        if grad_mask is not None:
            grad_mask = grad_mask.reshape(mask.shape)
        return grad_query, grad_key, grad_value, grad_mask, None, None


def attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    is_causal: bool = False,
    scale: float | None = None,
    *,
    block_size: int = DEFAULT_BLOCK_SIZE,
) -> Tensor:
    r"""Scaled dot-product attention, tiled over keys, in linear memory.

    Computes ``softmax(query @ key^T * scale + mask) @ value`` like
    :func:`torch.nn.functional.scaled_dot_product_attention` (same argument
    names, shapes and mask semantics), but visits the keys `block_size` at a
    time with the online softmax, so that neither the forward nor the
    backward pass stores the ``L x S`` scores.

    Parameters
    ----------
    query : Tensor
        Shape ``(..., L, E)``, any floating dtype.
    key : Tensor
        Shape ``(..., S, E)``, the leading dimensions and dtype of `query`.
    value : Tensor
        Shape ``(..., S, Ev)``, the leading dimensions and dtype of `query`.
    attn_mask : Tensor, optional
        Broadcastable to ``(..., L, S)``. A bool mask marks with True the
        keys that take part; a floating mask (dtype of `query`, entries
        finite or ``-inf``) is added to the scores.
    is_causal : bool, default False
        Query ``i`` sees key ``j`` iff ``j <= i`` (the top-left aligned
        lower-triangular mask, as in torch). Cannot be combined with
        `attn_mask`.
    scale : float, optional
        A finite real number ``> 0`` multiplying the scores; default
        ``1 / sqrt(E)``.
    block_size : int, default DEFAULT_BLOCK_SIZE
        Keys per block, an int ``>= 1``. The result does not depend on it
        beyond rounding.

    Returns
    -------
    Tensor
        Shape ``(..., L, Ev)``, dtype of `query`. Differentiable with
        respect to `query`, `key`, `value` and a floating `attn_mask`
        (once: no double backward).

    Raises
    ------
    TypeError
        If `query`, `key` or `value` is not a floating-point tensor, or
        `attn_mask` is neither bool nor floating.
    ValueError
        If the shapes or dtypes do not match (the message names them), if
        an input holds NaN or an infinity (the mask may hold ``-inf``), if a
        query has every key masked (its softmax is 0/0:
        :func:`torch.softmax` returns NaN there and torch's attention
        silently returns a row of zeros), if the scores overflow, if `scale`
        is not a finite number ``> 0``, if `block_size` is not an int
        ``>= 1``, or if `attn_mask` is given together with
        ``is_causal=True``.

    Notes
    -----
    For one query with scores
    :math:`x_j = \text{scale}\,\langle q, k_j\rangle + M_j`, after the
    blocks :math:`B_1, \dots, B_t` of keys the state is

    .. math::

        m_t = \max(m_{t-1}, \max_{j \in B_t} x_j), \qquad
        \ell_t = e^{m_{t-1} - m_t} \ell_{t-1}
        + \sum_{j \in B_t} e^{x_j - m_t},

        o_t = e^{m_{t-1} - m_t} o_{t-1}
        + \sum_{j \in B_t} e^{x_j - m_t} v_j,

    from :math:`m_0 = -\infty`, :math:`\ell_0 = 0`, :math:`o_0 = 0`; the
    output is :math:`o_T / \ell_T` and
    :math:`\operatorname{lse} = m_T + \log \ell_T`. While every key so far
    is masked, :math:`m_t = -\infty`; the exponentials are then shifted by 0
    instead of :math:`m_t`, which avoids :math:`e^{-\infty - (-\infty)}`.
    The backward pass keeps only the inputs, the output and, per query,
    :math:`m_T` and :math:`\log \ell_T` (their sum, the log-sum-exp, would
    round :math:`\log \ell_T` away where :math:`|m_T|` is large, as for a
    padding row of scores near :math:`-10^9`); per block it recomputes
    :math:`P = e^{(S - m_T) - \log \ell_T}`, and with
    :math:`D = \operatorname{rowsum}(dO \odot O)` forms
    :math:`dS = P \odot (dO\,V^\top - D)`, the softmax vector-Jacobian
    product, then :math:`dQ = \text{scale}\, dS\,K`,
    :math:`dK = \text{scale}\, dS^\top Q` and :math:`dV = P^\top dO`. The
    gradient of a floating mask is :math:`dS` itself; asking for it costs
    ``L x S`` memory. float16 and bfloat16 are computed in float32 and
    rounded once.

    The chapter :doc:`/chapters/attention` derives every step.

    References
    ----------
    .. [1] M. Milakov and N. Gimelshein, "Online normalizer calculation for
       softmax", arXiv:1805.02867, 2018.
    .. [2] T. Dao, D. Y. Fu, S. Ermon, A. Rudra and C. Ré, "FlashAttention:
       Fast and memory-efficient exact attention with IO-awareness",
       NeurIPS 2022.
    .. [3] T. Dao, "FlashAttention-2: Faster attention with better
       parallelism and work partitioning", arXiv:2307.08691, 2023.

    Examples
    --------
    >>> import torch
    >>> from torch.nn.functional import scaled_dot_product_attention
    >>> g = torch.Generator().manual_seed(0)
    >>> q, k, v = (torch.randn(2, 5, 4, generator=g) for _ in range(3))
    >>> out = attention(q, k, v, is_causal=True, block_size=2)
    >>> out.shape
    torch.Size([2, 5, 4])
    >>> expected = scaled_dot_product_attention(q, k, v, is_causal=True)
    >>> torch.allclose(out, expected, atol=1e-6)
    True
    >>> mask = torch.ones(5, 5, dtype=torch.bool)
    >>> mask[3] = False  # query 3 sees no key, in both batch entries
    >>> attention(q, k, v, attn_mask=mask)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: 2 query row(s) have every key masked, so their softmax ...
    """
    query = check_floating(query, "query")
    key = check_floating(key, "key")
    value = check_floating(value, "value")
    block_size = check_positive_int(block_size, "block_size")
    if not isinstance(is_causal, bool):
        raise TypeError(
            f"is_causal must be a bool, got {type(is_causal).__name__}"
        )
    shapes = (
        f"query {tuple(query.shape)}, key {tuple(key.shape)}, "
        f"value {tuple(value.shape)}"
    )
    if (
        query.dim() < 2
        or key.dim() != query.dim()
        or value.dim() != query.dim()
    ):
        raise ValueError(
            "query, key and value must have the same number (>= 2) of "
            f"dimensions (..., L, E), (..., S, E), (..., S, Ev); got {shapes}"
        )
    if (
        key.shape[:-2] != query.shape[:-2]
        or value.shape[:-2] != query.shape[:-2]
    ):
        raise ValueError(
            "query, key and value must share their leading dimensions; "
            f"got {shapes}"
        )
    if key.shape[-1] != query.shape[-1]:
        raise ValueError(
            f"query and key must have the same last dimension E; got {shapes}"
        )
    if value.shape[-2] != key.shape[-2]:
        raise ValueError(
            f"key and value must have the same number S of keys; got {shapes}"
        )
    if key.dtype != query.dtype or value.dtype != query.dtype:
        raise ValueError(
            "query, key and value must have the same dtype; got "
            f"{query.dtype}, {key.dtype}, {value.dtype}"
        )
    if key.device != query.device or value.device != query.device:
        raise ValueError("query, key and value must be on the same device")
    batch = tuple(query.shape[:-2])
    length, head_dim = query.shape[-2], query.shape[-1]
    keys, value_dim = key.shape[-2], value.shape[-1]
    if head_dim == 0:
        raise ValueError(f"the head dimension E must be >= 1; got {shapes}")
    scale_value = _check_scale(scale, head_dim)
    target = (*batch, length, keys)
    mask = None if attn_mask is None else _check_mask(attn_mask, query, target)
    if mask is not None and is_causal:
        raise ValueError("pass either attn_mask or is_causal=True, not both")
    for tensor, name in ((query, "query"), (key, "key"), (value, "value")):
        _check_finite(tensor, name)
    if query.numel() == 0 or value_dim == 0:
        # Nothing to compute, but the (empty) output stays in the graph of
        # all three inputs, as torch's does: an (L, 0) by (0, Ev) product.
        empty = query[..., :0] @ value[..., :0, :] + key[..., :0, :].sum()
        return empty.to(query.dtype)
    if keys == 0:
        raise ValueError(
            f"there are no keys (S = 0), so softmax is 0/0; got {shapes}"
        )

    n = math.prod(batch)
    compute = to_compute_dtype(query).dtype
    q = (query.to(compute) * scale_value).reshape(n, length, head_dim)
    k = key.to(compute).reshape(n, keys, head_dim)
    v = value.to(compute).reshape(n, keys, value_dim)
    mask_view = None
    if mask is not None:
        mask_view = mask.to(compute) if mask.is_floating_point() else mask
        mask_view = mask_view.expand(target)
    apply = _TiledAttention.apply
    out, lse = apply(  # type: ignore[no-untyped-call]
        q, k, v, mask_view, is_causal, block_size
    )
    if not bool(torch.isfinite(lse).all()):
        masked = 0 if mask_view is None else _fully_masked_rows(mask_view)
        if masked == 0:  # rows of -inf without a mask: the scores overflow
            raise ValueError("the scores overflow; scale down query or key")
        raise ValueError(
            f"{masked} query row(s) have every key masked, so their softmax "
            "is 0/0 (torch.softmax gives NaN there, torch's attention a row "
            "of zeros); give every query at least one key"
        )
    result: Tensor = out.reshape(*batch, length, value_dim).to(query.dtype)
    return result
