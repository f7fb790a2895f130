"""Cross-entropy of a linear layer's logits, never holding all of them at once.

A language model's last layer maps each hidden state to one logit per
vocabulary entry, and the loss needs only one number per row from those logits:
``lse(z) - z_y``. The function here computes that number one vocabulary chunk
at a time with the online log-sum-exp, and its backward pass recomputes each
chunk's logits instead of storing them; for a mean or summed loss it forms the
gradients in the forward pass instead, over blocks of rows, which saves one
matrix product. The book explains it in the chapter "Large vocabularies: the
loss without the logits".
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import torch
from torch import Tensor

from omnivault._validation import (
    check_floating,
    check_positive_int,
    first_order_only,
    real_as_float,
    to_compute_dtype,
)

__all__ = ["DEFAULT_CHUNK_SIZE", "linear_cross_entropy"]

DEFAULT_CHUNK_SIZE = 4096
"""Vocabulary entries per chunk.

Chosen by ``benchmarks/cross_entropy_memory_speed.py``.
"""

_REDUCTIONS = ("mean", "sum", "none")
_INTEGER_DTYPES = (
    torch.uint8,
    torch.int8,
    torch.int16,
    torch.int32,
    torch.int64,
)


def _chunk_logits(
    hidden: Tensor, weight: Tensor, bias: Tensor | None, start: int, stop: int
) -> Tensor:
    """Logits of vocabulary entries ``start:stop``, ``(N, stop - start)``.

    The product is computed in the dtype of the inputs (as
    ``hidden @ weight.T + bias`` would be) and then upcast to the compute
    dtype, so the logits are exactly those of the materialising formula; only
    what is done with them is more accurate.
    """
    weight_chunk = weight[start:stop]
    if bias is None:
        logits = hidden @ weight_chunk.T
    else:
        logits = torch.addmm(bias[start:stop], hidden, weight_chunk.T)
    return to_compute_dtype(logits)


def _check_inputs(
    hidden: object,
    weight: object,
    target: object,
    bias: object,
    ignore_index: object,
    reduction: object,
    label_smoothing: object,
    chunk_size: object,
) -> tuple[Tensor, Tensor, Tensor, Tensor | None, int, str, float, int]:
    hidden = check_floating(hidden, "hidden")
    weight = check_floating(weight, "weight")
    if hidden.dim() != 2:
        raise ValueError(
            f"hidden must have shape (N, D), got shape {tuple(hidden.shape)}"
        )
    if weight.dim() != 2:
        raise ValueError(
            f"weight must have shape (V, D), got shape {tuple(weight.shape)}"
        )
    if weight.shape[1] != hidden.shape[1]:
        raise ValueError(
            f"hidden has D = {hidden.shape[1]} features "
            f"but weight has D = {weight.shape[1]}: "
            f"shapes {tuple(hidden.shape)} and {tuple(weight.shape)}"
        )
    if weight.shape[0] == 0:
        raise ValueError(
            "weight has no rows: cross-entropy needs at least one class"
        )
    if weight.dtype != hidden.dtype:
        raise TypeError(
            f"weight has dtype {weight.dtype} "
            f"but hidden has dtype {hidden.dtype}"
        )
    if bias is not None:
        bias = check_floating(bias, "bias")
        if bias.shape != (weight.shape[0],):
            raise ValueError(
                f"bias must have shape ({weight.shape[0]},), "
                "one entry per row of weight, "
                f"got shape {tuple(bias.shape)}"
            )
        if bias.dtype != hidden.dtype:
            raise TypeError(
                f"bias has dtype {bias.dtype} "
                f"but hidden has dtype {hidden.dtype}"
            )
    if not isinstance(target, Tensor):
        raise TypeError(
            f"target must be a torch.Tensor, got {type(target).__name__}"
        )
    if target.dtype not in _INTEGER_DTYPES:
        raise TypeError(
            "target must have an integer dtype (class indices), "
            f"got {target.dtype}"
        )
    if target.shape != (hidden.shape[0],):
        raise ValueError(
            f"target must have shape ({hidden.shape[0]},), "
            "one class index per row of hidden, "
            f"got shape {tuple(target.shape)}"
        )
    tensors = [hidden, weight, target] + ([] if bias is None else [bias])
    if len({t.device for t in tensors}) != 1:
        raise ValueError(
            "inputs are on different devices: "
            f"{[str(t.device) for t in tensors]}"
        )
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
        raise TypeError(
            f"ignore_index must be an int, got {type(ignore_index).__name__}"
        )
    if not -(2**63) <= ignore_index < 2**63:
        raise ValueError(f"ignore_index must fit in int64, got {ignore_index}")
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"reduction must be one of {_REDUCTIONS}, got {reduction!r}"
        )
    if isinstance(label_smoothing, bool) or not isinstance(
        label_smoothing, Real
    ):
        raise ValueError(
            "label_smoothing must be a real number in [0, 1], "
            f"got {label_smoothing!r}"
        )
    smoothing = real_as_float(label_smoothing)
    if not 0.0 <= smoothing <= 1.0:  # also rejects NaN
        raise ValueError(
            f"label_smoothing must be in [0, 1], got {smoothing!r}"
        )
    chunk = check_positive_int(chunk_size, "chunk_size")
    for name, tensor in (
        ("hidden", hidden),
        ("weight", weight),
        ("bias", bias),
    ):
        if tensor is not None and not bool(torch.isfinite(tensor).all()):
            raise ValueError(f"{name} contains NaN or inf")
    num_classes = weight.shape[0]
    active = target[target != ignore_index]
    bad = active[(active < 0) | (active >= num_classes)]
    if bad.numel() > 0:
        raise ValueError(
            f"target contains {bad[0].item()}, outside [0, {num_classes}) "
            f"and not ignore_index = {ignore_index}"
        )
    if reduction == "mean" and active.numel() == 0:
        raise ValueError(
            "reduction='mean' with no target other than ignore_index would "
            "divide by zero (torch returns nan); use reduction='sum' for "
            "batches that may be all padding"
        )
    return (
        hidden,
        weight,
        target.long(),
        bias,
        ignore_index,
        str(reduction),
        smoothing,
        chunk,
    )


def _smoothed_loss(
    row_max: Tensor,
    log_sum: Tensor,
    target_logit: Tensor,
    logit_mean: Tensor | None,
    eps: float,
) -> Tensor:
    """Per-row loss ``(1 - eps)(lse - z_y) + eps (lse - mean(z))``.

    ``lse = m + log d`` is never formed: ``(m - z_y) + log d`` keeps
    ``log d`` where ``|m|`` is large (two logits tied at 1e8, say), where
    ``m + log d`` would round it away.
    """
    loss = (row_max - target_logit) + log_sum
    if logit_mean is None:
        return loss
    return (1.0 - eps) * loss + eps * ((row_max - logit_mean) + log_sum)


def _into_logit_gradient(
    probs: Tensor,
    targets: tuple[Tensor, Tensor],
    eps: float,
    num_classes: int,
    row_scale: Tensor,
) -> Tensor:
    """Turn softmax `probs` in place into ``(s - q) * row_scale``.

    ``q = (1 - eps) e_y + eps / V`` is the smoothed target distribution;
    `targets` indexes the entries ``(n, y_n)`` of `probs`, and `row_scale`
    is ``dL / dL_n`` for every row.
    """
    if eps > 0.0:
        probs.sub_(eps / num_classes)
    probs[targets] -= 1.0 - eps
    return probs.mul_(row_scale.unsqueeze(1))


def _check_finite_logits(
    lse: Tensor, target_logit: Tensor, logit_mean: Tensor | None
) -> None:
    """Raise if a logit overflowed (to +inf, or to -inf where it counts).

    A logit of -inf has probability 0 and changes nothing, unless it is the
    target's or, with label smoothing, enters the mean.
    """
    overflow = ~torch.isfinite(lse) | torch.isneginf(target_logit)
    if logit_mean is not None:
        overflow |= torch.isneginf(logit_mean)
    if bool(overflow.any()):
        raise ValueError(
            "the logits hidden @ weight.T + bias overflow: their log-sum-exp, "
            "the target's logit or their mean is not finite"
        )


class _LinearCrossEntropy(torch.autograd.Function):
    """Chunked forward, online log-sum-exp; backward recomputes each chunk."""

    @staticmethod
    def forward(
        ctx: Any,
        hidden: Tensor,
        weight: Tensor,
        bias: Tensor | None,
        target: Tensor,
        ignore_index: int,
        reduction: str,
        smoothing: float,
        chunk_size: int,
    ) -> Tensor:
        rows, num_classes = hidden.shape[0], weight.shape[0]
        compute = to_compute_dtype(hidden.new_empty(0)).dtype
        valid = target != ignore_index
        safe_target = torch.where(valid, target, 0)
        running_max = hidden.new_full((rows,), -math.inf, dtype=compute)
        running_sum = hidden.new_zeros(rows, dtype=compute)
        target_logit = hidden.new_zeros(rows, dtype=compute)
        logit_total = hidden.new_zeros(rows, dtype=compute)
        for start in range(0, num_classes, chunk_size):
            stop = min(start + chunk_size, num_classes)
            logits = _chunk_logits(hidden, weight, bias, start, stop)
            in_chunk = (safe_target >= start) & (safe_target < stop)
            local = (safe_target - start).clamp(0, stop - start - 1)
            picked = logits.gather(1, local.unsqueeze(1)).squeeze(1)
            target_logit = torch.where(in_chunk, picked, target_logit)
            if smoothing > 0.0:
                logit_total += logits.sum(dim=1)
            new_max = torch.maximum(running_max, logits.amax(dim=1))
            # Online normaliser: rescale the old sum to the new maximum, add
            # this chunk.
            chunk_sum = logits.sub_(new_max.unsqueeze(1)).exp_().sum(dim=1)
            running_sum = (
                running_sum * torch.exp(running_max - new_max) + chunk_sum
            )
            running_max = new_max
            del logits  # free this chunk before the next one is allocated
        log_sum = torch.log(running_sum)
        logit_mean = logit_total / num_classes if smoothing > 0.0 else None
        _check_finite_logits(
            running_max + log_sum,
            torch.where(valid, target_logit, 0.0),
            None
            if logit_mean is None
            else torch.where(valid, logit_mean, 0.0),
        )
        loss = _smoothed_loss(
            running_max, log_sum, target_logit, logit_mean, smoothing
        )
        loss = torch.where(valid, loss, 0.0)
        count = int(valid.sum().item())
        ctx.save_for_backward(
            hidden, weight, bias, safe_target, valid, running_max, log_sum
        )
        ctx.settings = (reduction, smoothing, chunk_size, count)
        if reduction == "none":
            return loss.to(hidden.dtype)
        total = loss.sum()
        if reduction == "mean":
            total = total / count
        return total.to(hidden.dtype)

    @staticmethod
    @first_order_only("linear_cross_entropy")
    def backward(ctx: Any, grad_output: Tensor) -> tuple[Tensor | None, ...]:
        saved = ctx.saved_tensors
        hidden, weight, bias, safe_target, valid, row_max, log_sum = saved
        reduction, smoothing, chunk_size, count = ctx.settings
        need_hidden, need_weight, need_bias = ctx.needs_input_grad[:3]
        dtype, num_classes = hidden.dtype, weight.shape[0]
        compute = row_max.dtype
        # dL_total / dL_n for every row n: the upstream gradient, zero on
        # ignored rows.
        row_scale = grad_output.to(compute) * valid
        if reduction == "mean":
            row_scale = row_scale / count
        grad_hidden = (
            torch.zeros_like(hidden, dtype=compute) if need_hidden else None
        )
        grad_weight = torch.empty_like(weight) if need_weight else None
        grad_bias = torch.empty_like(bias) if need_bias else None
        for start in range(0, num_classes, chunk_size):
            stop = min(start + chunk_size, num_classes)
            # G_c = (softmax_c - q_c) * row_scale, q = (1 - eps) e_y + eps / V.
            grad_logits = _chunk_logits(hidden, weight, bias, start, stop)
            # s = exp((z - m) - log d): m + log d would lose log d at large m
            grad_logits.sub_(row_max.unsqueeze(1)).sub_(log_sum.unsqueeze(1))
            grad_logits.exp_()
            in_chunk = (safe_target >= start) & (safe_target < stop)
            rows = torch.nonzero(in_chunk).squeeze(1)
            _into_logit_gradient(
                grad_logits,
                (rows, safe_target[rows] - start),
                smoothing,
                num_classes,
                row_scale,
            )
            if grad_bias is not None:
                grad_bias[start:stop] = grad_logits.sum(dim=0)
            grad_logits = grad_logits.to(dtype)
            if grad_hidden is not None:
                if dtype == compute:
                    grad_hidden.addmm_(grad_logits, weight[start:stop])
                else:
                    product = grad_logits @ weight[start:stop]
                    grad_hidden += product.to(compute)
            if grad_weight is not None:
                torch.mm(grad_logits.T, hidden, out=grad_weight[start:stop])
            del grad_logits
        grad_hidden = None if grad_hidden is None else grad_hidden.to(dtype)
        # No gradient for target, ignore_index, reduction, smoothing, chunk.
        return (grad_hidden, grad_weight, grad_bias) + (None,) * 5


class _FusedLinearCrossEntropy(torch.autograd.Function):
    """Row blocks of full logits; the gradients are formed in the forward pass.

    For ``"mean"`` and ``"sum"`` the upstream gradient is one scalar, so the
    gradients can be computed while the logits exist and scaled afterwards:
    three matrix products in all.
    """

    @staticmethod
    def forward(
        ctx: Any,
        hidden: Tensor,
        weight: Tensor,
        bias: Tensor | None,
        target: Tensor,
        ignore_index: int,
        reduction: str,
        smoothing: float,
        block_rows: int,
    ) -> Tensor:
        rows, num_classes = hidden.shape[0], weight.shape[0]
        need_hidden, need_weight, need_bias = ctx.needs_input_grad[:3]
        compute = to_compute_dtype(hidden.new_empty(0)).dtype
        valid = target != ignore_index
        safe_target = torch.where(valid, target, 0)
        count = int(valid.sum().item())
        # dL / dL_n for every row n, before the upstream scalar: zero on
        # ignored rows.
        row_scale = valid.to(compute) / (count if reduction == "mean" else 1)
        lse = hidden.new_empty(rows, dtype=compute)
        loss = hidden.new_empty(rows, dtype=compute)
        grad_hidden = (
            hidden.new_empty(hidden.shape, dtype=compute)
            if need_hidden
            else None
        )
        grad_weight = (
            weight.new_zeros(weight.shape, dtype=compute)
            if need_weight
            else None
        )
        grad_bias = (
            weight.new_zeros(num_classes, dtype=compute) if need_bias else None
        )
        for start in range(0, rows, block_rows):
            stop = min(start + block_rows, rows)
            block = slice(start, stop)
            probs = _chunk_logits(hidden[block], weight, bias, 0, num_classes)
            picked = safe_target[block].unsqueeze(1)
            target_logit = probs.gather(1, picked).squeeze(1)
            logit_mean = probs.mean(dim=1) if smoothing > 0.0 else None
            row_max = probs.amax(dim=1)
            total = probs.sub_(row_max.unsqueeze(1)).exp_().sum(dim=1)
            log_total = torch.log(total)
            lse[block] = row_max + log_total
            block_valid = valid[block]
            _check_finite_logits(
                lse[block],
                torch.where(block_valid, target_logit, 0.0),
                None
                if logit_mean is None
                else torch.where(block_valid, logit_mean, 0.0),
            )
            loss[block] = _smoothed_loss(
                row_max, log_total, target_logit, logit_mean, smoothing
            )
            _into_logit_gradient(
                probs.div_(total.unsqueeze(1)),
                (torch.arange(stop - start), safe_target[block]),
                smoothing,
                num_classes,
                row_scale[block],
            )
            if grad_bias is not None:
                grad_bias += probs.sum(dim=0)
            grad_logits = probs.to(hidden.dtype)
            del probs
            if grad_hidden is not None:
                grad_hidden[block] = grad_logits @ weight
            if grad_weight is not None:
                if grad_weight.dtype == hidden.dtype:
                    grad_weight.addmm_(grad_logits.T, hidden[block])
                else:
                    grad_weight += (grad_logits.T @ hidden[block]).to(compute)
            del grad_logits
        ctx.gradients = (grad_hidden, grad_weight, grad_bias)
        ctx.dtype = hidden.dtype
        total_loss = torch.where(valid, loss, 0.0).sum()
        if reduction == "mean":
            total_loss = total_loss / count
        return total_loss.to(hidden.dtype)

    @staticmethod
    @first_order_only("linear_cross_entropy")
    def backward(ctx: Any, grad_output: Tensor) -> tuple[Tensor | None, ...]:
        scale = grad_output.to(torch.float64).item()
        grads = [
            None if g is None else (g * scale).to(ctx.dtype)
            for g in ctx.gradients
        ]
        return grads[0], grads[1], grads[2], None, None, None, None, None


def linear_cross_entropy(
    hidden: Tensor,
    weight: Tensor,
    target: Tensor,
    *,
    bias: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Tensor:
    r"""Cross-entropy of the logits ``hidden @ weight.T + bias``, in chunks.

    Equals ``cross_entropy(hidden @ weight.T + bias, target, ...)`` of
    :mod:`torch.nn.functional`, in value and in the gradients of `hidden`,
    `weight` and `bias`, while holding at most ``N * chunk_size`` logits at a
    time (``(N, chunk_size)`` vocabulary chunks, or blocks of
    ``N * chunk_size // V`` full rows), in the forward and in the backward
    pass.

    Parameters
    ----------
    hidden : Tensor
        Inputs (hidden states) of shape ``(N, D)``, any floating dtype.
    weight : Tensor
        Output weights of shape ``(V, D)``, one row per class (vocabulary
        entry); the dtype of `hidden`.
    target : Tensor
        Class indices of shape ``(N,)``, any integer dtype, each in ``[0, V)``
        or equal to `ignore_index`.
    bias : Tensor or None, default None
        Output bias of shape ``(V,)``, the dtype of `hidden`.
    ignore_index : int, default -100
        Rows whose target equals it contribute 0 to the loss and to every
        gradient, and are not counted by ``reduction="mean"``.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns the ``(N,)`` per-row losses (0 on ignored rows),
        ``"sum"`` their sum, ``"mean"`` their sum divided by the number of rows
        that are not ignored.
    label_smoothing : float, default 0.0
        :math:`\varepsilon \in [0, 1]`; the target becomes
        :math:`(1 - \varepsilon)\,\mathbf{e}_y + \varepsilon / V`, as in
        PyTorch.
    chunk_size : int, default DEFAULT_CHUNK_SIZE
        Number of vocabulary entries (columns of the logits) computed at once,
        ``>= 1``; it need not divide ``V``. The memory for logits is
        ``N * chunk_size`` entries.

    Returns
    -------
    Tensor
        The loss in the dtype of `hidden`: a scalar, or shape ``(N,)`` for
        ``"none"``.

    Raises
    ------
    TypeError
        If `hidden`, `weight` or `bias` is not a floating-point tensor, if
        their dtypes differ, if `target` is not an integer tensor, or if
        `ignore_index` is not an int.
    ValueError
        If a shape does not match (``hidden`` ``(N, D)``, ``weight`` ``(V, D)``
        with ``V >= 1``, ``bias`` ``(V,)``, ``target`` ``(N,)``), if the
        tensors are on different devices, if a target outside ``[0, V)`` is not
        `ignore_index` (the message names it), if `reduction`,
        `label_smoothing` or `chunk_size` is invalid, if an input contains NaN
        or inf, if the logits overflow (their log-sum-exp, the target's
        logit or, with label smoothing, their mean is not finite), or if
        ``reduction="mean"`` finds no target other than `ignore_index` (PyTorch
        returns NaN there; use ``reduction="sum"`` for batches that may be all
        padding).

    Notes
    -----
    For row :math:`n`, with logits
    :math:`\mathbf{z} = \mathbf{W}\mathbf{x}_n + \mathbf{b}` and label
    :math:`y`, PyTorch's label-smoothed cross-entropy is

    .. math::

        L_n = (1 - \varepsilon)\,(\operatorname{lse}(\mathbf{z}) - z_y)
              + \varepsilon\,\Bigl(\operatorname{lse}(\mathbf{z})
              - \frac{1}{V}\sum_{k=1}^{V} z_k\Bigr).

    The vocabulary is split into chunks :math:`C_1, C_2, \ldots` of
    `chunk_size` entries. For each chunk the logits :math:`\mathbf{z}_{C}` are
    computed, :math:`z_y` is picked from the chunk that holds :math:`y`, and
    the running maximum :math:`m` and running sum :math:`d = \sum e^{z_k - m}`
    of the online log-sum-exp are updated,

    .. math::

        m' = \max(m, \max_{k \in C} z_k), \qquad
        d' = d\,e^{m - m'} + \sum_{k \in C} e^{z_k - m'},

    so that :math:`\operatorname{lse}(\mathbf{z}) = m + \log d` at the end;
    the loss is formed as :math:`(m - z_y) + \log d`, since the sum
    :math:`m + \log d` would round :math:`\log d` away where :math:`|m|` is
    large. Then the chunk's logits are dropped. float16 and bfloat16 logits are
    computed in their dtype (as the materialising formula computes them) and
    accumulated in float32; float32 and float64 stay as they are.

    The backward pass recomputes each chunk's logits, forms
    :math:`\mathbf{G}_C = (\mathbf{s}_C - \mathbf{q}_C)\,g_n` with
    :math:`\mathbf{s}_C = e^{(\mathbf{z}_C - m) - \log d}` from the saved
    :math:`m` and :math:`\log d`,
    :math:`\mathbf{q} = (1 - \varepsilon)\mathbf{e}_y + \varepsilon/V` and
    :math:`g_n` the upstream gradient of row :math:`n` (divided by the count of
    active rows for ``"mean"``, 0 on ignored rows), and accumulates

    .. math::

        \nabla_{\mathbf{X}} \mathrel{+}= \mathbf{G}_C \mathbf{W}_C, \qquad
        \nabla_{\mathbf{W}_C} = \mathbf{G}_C^\top \mathbf{X}, \qquad
        \nabla_{\mathbf{b}_C} = \mathbf{G}_C^\top \mathbf{1}.

    This is one matrix product more than the materialising computation (four
    instead of three). It is used for ``reduction="none"``, whenever no
    gradient is needed, when ``N * chunk_size < V``, and for float16, whose
    gradients must meet the upstream gradient (a loss scale) before they are
    rounded to float16's narrow range.

    For ``"mean"`` and ``"sum"`` with gradients needed, the upstream gradient
    is a single scalar, so the gradients are instead formed in the forward pass
    and only scaled by it in the backward pass, as Liger-Kernel's fused linear
    cross-entropy does [3]_. The rows are processed in blocks of
    ``R = N * chunk_size // V`` rows, each with its full ``(R, V)`` logits
    (again at most ``N * chunk_size`` of them), whose exact log-sum-exp and
    gradient block :math:`\mathbf{G}_R` give
    :math:`\nabla_{\mathbf{X}_R} = \mathbf{G}_R \mathbf{W}`,
    :math:`\nabla_{\mathbf{W}} \mathrel{+}= \mathbf{G}_R^\top \mathbf{X}_R` and
    :math:`\nabla_{\mathbf{b}} \mathrel{+}= \mathbf{G}_R^\top \mathbf{1}`:
    three products, at the price of holding the gradients (``N x D`` and
    ``V x D``) from the forward pass to the backward pass. Neither path is
    twice differentiable: asking for second derivatives
    (``create_graph=True``) raises ``RuntimeError``.

    The chapter :doc:`/chapters/large_vocabulary` derives every step.

    References
    ----------
    .. [1] E. Wijmans, B. Huval, A. Hertzberg, V. Koltun and P. Kraehenbuehl,
       "Cut your losses in large-vocabulary language models", ICLR 2025,
       arXiv:2411.09009.
    .. [2] M. Milakov and N. Gimelshein, "Online normalizer calculation for
       softmax", arXiv:1805.02867, 2018.
    .. [3] P.-L. Hsu et al., "Liger Kernel: Efficient Triton kernels for LLM
       training", arXiv:2410.10989, 2024.

    Examples
    --------
    >>> import torch
    >>> import torch.nn.functional as F
    >>> g = torch.Generator().manual_seed(0)
    >>> hidden = torch.randn(4, 3, generator=g, requires_grad=True)
    >>> weight = torch.randn(10, 3, generator=g, requires_grad=True)
    >>> target = torch.tensor([1, 0, 9, -100])
    >>> loss = linear_cross_entropy(hidden, weight, target, chunk_size=4)
    >>> reference = F.cross_entropy(hidden @ weight.T, target)
    >>> torch.allclose(loss, reference)
    True
    >>> loss.backward()
    >>> hidden.grad[3]  # the ignored row gets no gradient
    tensor([0., 0., 0.])
    >>> linear_cross_entropy(hidden, weight, torch.tensor([1, 0, 10, 2]))
    Traceback (most recent call last):
    ...
    ValueError: target contains 10, outside [0, 10) and not ignore_index = -100
    """
    checked = _check_inputs(
        hidden,
        weight,
        target,
        bias,
        ignore_index,
        reduction,
        label_smoothing,
        chunk_size,
    )
    hidden, weight, target, bias = checked[:4]
    ignore_index, reduction, smoothing, chunk = checked[4:]
    leaves = (hidden, weight) if bias is None else (hidden, weight, bias)
    needs_grad = torch.is_grad_enabled() and any(
        t.requires_grad for t in leaves
    )
    # Row blocks of full logits hold no more than (N, chunk_size) logits.
    block_rows = hidden.shape[0] * chunk // weight.shape[0]
    function: Any = _LinearCrossEntropy
    # The fused path rounds its gradients to the input dtype before the
    # upstream scalar (a loss scale, for float16) is known; float16's narrow
    # exponent range would flush small gradients to zero, so it recomputes.
    fusable = hidden.dtype != torch.float16
    if reduction != "none" and needs_grad and block_rows >= 1 and fusable:
        function, chunk = _FusedLinearCrossEntropy, block_rows
    loss: Tensor = function.apply(
        hidden, weight, bias, target, ignore_index, reduction, smoothing, chunk
    )
    return loss
