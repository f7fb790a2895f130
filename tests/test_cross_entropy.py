"""linear_cross_entropy equals torch's materialising loss and never builds the (N, V) logits."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils._python_dispatch import TorchDispatchMode

from omnivault.cross_entropy import linear_cross_entropy

REDUCTIONS = ["mean", "sum", "none"]


def make_case(
    rows: int = 37,
    classes: int = 101,
    features: int = 5,
    *,
    dtype: torch.dtype = torch.float64,
    bias: bool = True,
    ignored_every: int = 5,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    hidden = torch.randn(rows, features, generator=generator, dtype=dtype)
    weight = torch.randn(classes, features, generator=generator, dtype=dtype)
    b = torch.randn(classes, generator=generator, dtype=dtype) if bias else None
    target = torch.randint(0, classes, (rows,), generator=generator)
    if ignored_every:
        target[::ignored_every] = -100
    return hidden, weight, b, target


def reference(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    target: torch.Tensor,
    **kwargs: Any,
) -> torch.Tensor:
    logits = hidden @ weight.T if bias is None else hidden @ weight.T + bias
    return F.cross_entropy(logits, target, **kwargs)


def value_and_grads(
    function: Any,
    hidden: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    target: torch.Tensor,
    upstream: torch.Tensor,
    **kwargs: Any,
) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
    leaves = [t.detach().clone().requires_grad_() for t in (hidden, weight, bias) if t is not None]
    b = leaves[2] if bias is not None else None
    loss = function(leaves[0], leaves[1], target=target, bias=b, **kwargs)
    grads = torch.autograd.grad((loss * upstream).sum(), leaves)
    return loss.detach(), grads


def ours(hidden: torch.Tensor, weight: torch.Tensor, **kwargs: Any) -> torch.Tensor:
    target = kwargs.pop("target")
    return linear_cross_entropy(hidden, weight, target, **kwargs)


def theirs(hidden: torch.Tensor, weight: torch.Tensor, **kwargs: Any) -> torch.Tensor:
    target, bias = kwargs.pop("target"), kwargs.pop("bias")
    kwargs.pop("chunk_size", None)
    return reference(hidden, weight, bias, target, **kwargs)


def assert_matches_torch(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    target: torch.Tensor,
    **kwargs: Any,
) -> None:
    reduction = kwargs.get("reduction", "mean")
    generator = torch.Generator().manual_seed(1)
    shape = (hidden.shape[0],) if reduction == "none" else ()
    upstream = torch.randn(shape, generator=generator, dtype=hidden.dtype)
    loss, grads = value_and_grads(ours, hidden, weight, bias, target, upstream, **kwargs)
    ref_loss, ref_grads = value_and_grads(theirs, hidden, weight, bias, target, upstream, **kwargs)
    torch.testing.assert_close(loss, ref_loss)
    assert len(grads) == len(ref_grads)
    for grad, ref_grad in zip(grads, ref_grads, strict=True):
        torch.testing.assert_close(grad, ref_grad)


# --- Value and gradients equal torch's ----------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("use_bias", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 1.0])
def test_value_and_gradients_equal_torch(
    dtype: torch.dtype, reduction: str, use_bias: bool, label_smoothing: float
) -> None:
    hidden, weight, bias, target = make_case(dtype=dtype, bias=use_bias)
    assert_matches_torch(
        hidden,
        weight,
        bias,
        target,
        reduction=reduction,
        label_smoothing=label_smoothing,
        chunk_size=13,
    )


@pytest.mark.parametrize("chunk_size", [1, 7, 13, 100, 101, 102, 4096])
def test_any_chunk_size_gives_the_same_result(chunk_size: int) -> None:
    hidden, weight, bias, target = make_case()
    assert_matches_torch(hidden, weight, bias, target, chunk_size=chunk_size, reduction="none")


@pytest.mark.parametrize("ignore_index", [0, 3, 100])
def test_ignore_index_inside_the_vocabulary_matches_torch(ignore_index: int) -> None:
    hidden, weight, bias, target = make_case(ignored_every=0)
    target[::3] = ignore_index
    assert_matches_torch(
        hidden, weight, bias, target, ignore_index=ignore_index, label_smoothing=0.2, chunk_size=9
    )


@settings(max_examples=40)
@given(
    rows=st.integers(1, 9),
    classes=st.integers(1, 40),
    features=st.integers(1, 6),
    chunk_size=st.integers(1, 45),
    reduction=st.sampled_from(REDUCTIONS),
    label_smoothing=st.sampled_from([0.0, 0.05, 0.5]),
    use_bias=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_random_shapes_match_torch(
    rows: int,
    classes: int,
    features: int,
    chunk_size: int,
    reduction: str,
    label_smoothing: float,
    use_bias: bool,
    seed: int,
) -> None:
    hidden, weight, bias, target = make_case(
        rows, classes, features, bias=use_bias, ignored_every=3, seed=seed
    )
    if reduction == "mean":
        target[-1] = 0  # at least one row that is not ignored (rows 0, 3, ... are)
    assert_matches_torch(
        hidden,
        weight,
        bias,
        target,
        reduction=reduction,
        label_smoothing=label_smoothing,
        chunk_size=chunk_size,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_in_float64(reduction: str) -> None:
    hidden, weight, bias, target = make_case(4, 7, 3, ignored_every=3)
    assert bias is not None
    leaves = tuple(t.requires_grad_() for t in (hidden, weight, bias))

    def loss(h: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return linear_cross_entropy(
            h, w, target, bias=b, reduction=reduction, label_smoothing=0.1, chunk_size=3
        )

    assert torch.autograd.gradcheck(loss, leaves)


def test_all_ignored_sum_is_zero_with_zero_gradients() -> None:
    hidden, weight, bias, target = make_case(ignored_every=1)
    hidden.requires_grad_()
    loss = linear_cross_entropy(hidden, weight, target, bias=bias, reduction="sum")
    loss.backward()
    assert loss.item() == 0.0
    assert hidden.grad is not None and bool((hidden.grad == 0).all())


def test_empty_batch_sum_is_zero() -> None:
    hidden, weight, bias, target = make_case(rows=0)
    assert linear_cross_entropy(hidden, weight, target, bias=bias, reduction="sum").item() == 0.0


def test_integer_targets_of_any_width_are_accepted() -> None:
    hidden, weight, bias, target = make_case(ignored_every=0)
    loss = linear_cross_entropy(hidden, weight, target.to(torch.int32), bias=bias)
    torch.testing.assert_close(loss, reference(hidden, weight, bias, target))


# --- Low precision: accumulated in float32 ------------------------------------------------


@pytest.mark.parametrize(("dtype", "unit"), [(torch.bfloat16, 2.0**-8), (torch.float16, 2.0**-11)])
@pytest.mark.parametrize("reduction", ["none", "sum"])
def test_low_precision_is_close_to_a_float64_reference(
    dtype: torch.dtype, unit: float, reduction: str
) -> None:
    # Each logit is rounded once to `dtype` (relative error <= unit), which moves lse and z_y
    # by at most unit * max|z| each; the loss is rounded once more (unit * |L|).
    hidden, weight, bias, target = make_case(64, 1000, 16, dtype=dtype, ignored_every=0)
    hidden.requires_grad_()
    loss = linear_cross_entropy(hidden, weight, target, bias=bias, reduction="none", chunk_size=96)
    wide = [t.double() for t in (hidden.detach(), weight, bias) if t is not None]
    logits = wide[0] @ wide[1].T + wide[2]
    exact = F.cross_entropy(logits, target, reduction="none")
    bound = 2 * unit * logits.abs().amax(dim=1) + unit * exact.abs()
    assert bool(((loss.double() - exact).abs() <= bound).all())
    hidden.grad = None
    linear_cross_entropy(
        hidden, weight, target, bias=bias, reduction=reduction, chunk_size=96
    ).sum().backward()
    exact_grad = (torch.softmax(logits, dim=1) - F.one_hot(target, 1000)) @ wide[1]
    assert hidden.grad is not None
    # The gradient rows sum about 16 products rounded to `dtype`: a few units of the largest.
    scale = exact_grad.abs().max().item()
    torch.testing.assert_close(hidden.grad.double(), exact_grad, rtol=0.0, atol=4 * unit * scale)


# --- Memory: never more than (N, chunk_size) logits ---------------------------------------


class LargestOutput(TorchDispatchMode):
    """Record the largest tensor any ATen operation returns, and count matrix products."""

    def __init__(self) -> None:
        super().__init__()
        self.largest = 0
        self.products = 0

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        results = out if isinstance(out, tuple | list) else (out,)
        for result in results:
            if isinstance(result, torch.Tensor):
                self.largest = max(self.largest, result.numel())
        if func.overloadpacket in (torch.ops.aten.mm, torch.ops.aten.addmm, torch.ops.aten.addmm_):
            self.products += 1
        return out


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_never_materialises_more_than_a_chunk_of_logits(reduction: str) -> None:
    rows, classes, features, chunk_size = 64, 1000, 8, 100
    hidden, weight, bias, target = make_case(rows, classes, features, dtype=torch.float32)
    leaves = [t.requires_grad_() for t in (hidden, weight, bias) if t is not None]
    # Largest tensors that are not logits: the weight (and its gradient), V * D = 8000.
    allowed = max(rows * chunk_size, classes * features, rows * features)
    assert allowed < rows * classes

    with LargestOutput() as spy:
        loss = linear_cross_entropy(
            hidden, weight, target, bias=bias, chunk_size=chunk_size, reduction=reduction
        )
        loss.sum().backward()
    assert spy.largest <= allowed
    if reduction == "none":
        # One product per vocabulary chunk forward; backward recomputes it and forms both
        # gradients.
        assert spy.products == 4 * math.ceil(classes / chunk_size)
    else:
        # Blocks of 64 * 100 // 1000 = 6 rows of full logits: three products each.
        assert spy.products == 3 * math.ceil(rows / 6)

    for leaf in leaves:
        leaf.grad = None
    with LargestOutput() as control:  # the spy does see the materialising computation
        reference(hidden, weight, bias, target).backward()
    assert control.largest == rows * classes


def test_without_gradients_the_forward_pass_computes_one_product_per_chunk() -> None:
    hidden, weight, bias, target = make_case(64, 1000, 8, dtype=torch.float32)
    hidden.requires_grad_()
    with torch.no_grad(), LargestOutput() as spy:
        loss = linear_cross_entropy(hidden, weight, target, bias=bias, chunk_size=100)
    assert spy.products == 10
    torch.testing.assert_close(loss, reference(hidden, weight, bias, target).detach())


def test_few_rows_fall_back_to_vocabulary_chunks_and_match_torch() -> None:
    # 3 rows * chunk 13 < 101 classes: not even one full row of logits fits in a chunk.
    hidden, weight, bias, target = make_case(rows=3, features=1, ignored_every=0)
    assert_matches_torch(hidden, weight, bias, target, chunk_size=13)
    with LargestOutput() as spy:
        leaf = hidden.clone().requires_grad_()
        linear_cross_entropy(leaf, weight, target, bias=bias, chunk_size=13).backward()
    assert spy.largest <= max(3 * 13, 101 * 1) < 3 * 101


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_gradient_of_hidden_alone_matches_torch(reduction: str) -> None:
    hidden, weight, bias, target = make_case()
    leaf, ref_leaf = hidden.clone().requires_grad_(), hidden.clone().requires_grad_()
    linear_cross_entropy(leaf, weight, target, bias=bias, reduction=reduction).sum().backward()
    reference(ref_leaf, weight, bias, target, reduction=reduction).sum().backward()
    assert leaf.grad is not None and ref_leaf.grad is not None
    torch.testing.assert_close(leaf.grad, ref_leaf.grad)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_backward_twice_with_retained_graph_accumulates_twice(reduction: str) -> None:
    hidden, weight, bias, target = make_case()
    hidden.requires_grad_()
    loss = linear_cross_entropy(hidden, weight, target, bias=bias, reduction=reduction).sum()
    loss.backward(retain_graph=True)
    assert hidden.grad is not None
    once = hidden.grad.clone()
    loss.backward()
    torch.testing.assert_close(hidden.grad, 2 * once)


def test_inputs_are_not_modified() -> None:
    hidden, weight, bias, target = make_case(dtype=torch.float32)
    assert bias is not None
    leaves = [t.requires_grad_() for t in (hidden, weight, bias)]
    before = [t.detach().clone() for t in (hidden, weight, bias, target)]
    linear_cross_entropy(
        hidden, weight, target, bias=bias, label_smoothing=0.1, chunk_size=10
    ).backward()
    for tensor, copy in zip((hidden, weight, bias, target), before, strict=True):
        assert torch.equal(tensor.detach(), copy)
    assert all(leaf.grad is not None for leaf in leaves)


# --- Bad input: a clear error each ---------------------------------------------------------


def call(**overrides: Any) -> torch.Tensor:
    hidden, weight, bias, target = make_case(dtype=torch.float32)
    arguments: dict[str, Any] = {"hidden": hidden, "weight": weight, "target": target}
    arguments |= {"bias": bias}
    arguments |= overrides
    return linear_cross_entropy(**arguments)


def test_integer_hidden_raises_type_error() -> None:
    with pytest.raises(TypeError, match="hidden must have a floating dtype"):
        call(hidden=torch.ones(37, 5, dtype=torch.int64))


def test_integer_weight_raises_type_error() -> None:
    with pytest.raises(TypeError, match="weight must have a floating dtype"):
        call(weight=torch.ones(101, 5, dtype=torch.int64))


def test_non_tensor_hidden_raises_type_error() -> None:
    with pytest.raises(TypeError, match=r"hidden must be a torch\.Tensor"):
        call(hidden=[[1.0] * 5] * 37)


def test_floating_target_raises_type_error() -> None:
    with pytest.raises(TypeError, match="target must have an integer dtype"):
        call(target=torch.zeros(37))


def test_boolean_target_raises_type_error() -> None:
    with pytest.raises(TypeError, match="target must have an integer dtype"):
        call(target=torch.zeros(37, dtype=torch.bool))


def test_weight_dtype_mismatch_raises_type_error() -> None:
    with pytest.raises(TypeError, match=r"weight has dtype torch\.float64"):
        call(weight=torch.ones(101, 5, dtype=torch.float64))


def test_bias_dtype_mismatch_raises_type_error() -> None:
    with pytest.raises(TypeError, match=r"bias has dtype torch\.float64"):
        call(bias=torch.ones(101, dtype=torch.float64))


def test_one_dimensional_hidden_raises_value_error() -> None:
    with pytest.raises(ValueError, match=r"hidden must have shape \(N, D\)"):
        call(hidden=torch.ones(5))


def test_feature_mismatch_raises_value_error() -> None:
    with pytest.raises(ValueError, match="hidden has D = 4 features but weight has D = 5"):
        call(hidden=torch.ones(37, 4))


def test_empty_vocabulary_raises_value_error() -> None:
    with pytest.raises(ValueError, match="weight has no rows"):
        call(weight=torch.ones(0, 5), bias=None)


def test_bias_length_mismatch_raises_value_error() -> None:
    with pytest.raises(ValueError, match=r"bias must have shape \(101,\)"):
        call(bias=torch.ones(100))


def test_target_length_mismatch_raises_value_error() -> None:
    with pytest.raises(ValueError, match=r"target must have shape \(37,\)"):
        call(target=torch.zeros(36, dtype=torch.int64))


@pytest.mark.parametrize("bad", [101, -1, -101])
def test_target_outside_the_vocabulary_raises_value_error_naming_it(bad: int) -> None:
    target = torch.zeros(37, dtype=torch.int64)
    target[5] = bad
    with pytest.raises(ValueError, match=f"target contains {bad}, outside \\[0, 101\\)"):
        call(target=target)


def test_non_integer_ignore_index_raises_type_error() -> None:
    with pytest.raises(TypeError, match="ignore_index must be an int"):
        call(ignore_index=-100.0)


def test_an_ignore_index_beyond_int64_raises_value_error() -> None:
    with pytest.raises(ValueError, match="ignore_index must fit in int64"):
        call(ignore_index=2**70)


def test_unknown_reduction_raises_value_error() -> None:
    with pytest.raises(ValueError, match="reduction must be one of"):
        call(reduction="average")


@pytest.mark.parametrize("bad", [-0.1, 1.5, math.nan, 10**400])
def test_label_smoothing_outside_the_unit_interval_raises_value_error(bad: float) -> None:
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\]"):
        call(label_smoothing=bad)


def test_non_numeric_label_smoothing_raises_value_error() -> None:
    with pytest.raises(ValueError, match="label_smoothing must be a real number"):
        call(label_smoothing="0.1")


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_bad_chunk_size_raises_value_error(bad: object) -> None:
    with pytest.raises(ValueError, match="chunk_size must be an int >= 1"):
        call(chunk_size=bad)


def test_nan_in_hidden_raises_value_error() -> None:
    hidden = torch.ones(37, 5)
    hidden[3, 1] = math.nan
    with pytest.raises(ValueError, match="hidden contains NaN or inf"):
        call(hidden=hidden)


def test_inf_in_weight_raises_value_error() -> None:
    weight = torch.ones(101, 5)
    weight[7, 0] = math.inf
    with pytest.raises(ValueError, match="weight contains NaN or inf"):
        call(weight=weight)


def test_nan_in_bias_raises_value_error() -> None:
    bias = torch.ones(101)
    bias[0] = math.nan
    with pytest.raises(ValueError, match="bias contains NaN or inf"):
        call(bias=bias)


def test_overflowing_logits_raise_value_error() -> None:
    # Finite float16 inputs whose product 300 * 300 * 2 exceeds float16's largest, 65504.
    hidden = torch.full((3, 2), 300.0, dtype=torch.float16)
    weight = torch.full((4, 2), 300.0, dtype=torch.float16)
    with pytest.raises(ValueError, match=r"logits hidden @ weight\.T \+ bias overflow"):
        linear_cross_entropy(hidden, weight, torch.tensor([0, 1, 2]))


@pytest.mark.parametrize(("target", "label_smoothing"), [(1, 0.0), (0, 0.5), (1, 1.0)])
def test_a_target_or_mean_logit_overflowing_to_minus_infinity_raises(
    target: int, label_smoothing: float
) -> None:
    # float16 logits (600, -inf, 0): the -inf matters as the target's logit or in the mean.
    hidden = torch.tensor([[300.0, 300.0]], dtype=torch.float16, requires_grad=True)
    weight = torch.tensor([[1.0, 1.0], [-200.0, -200.0], [0.0, 0.0]], dtype=torch.float16)
    for chunk_size in (1, 4096):  # the recomputing and the row-block path
        with pytest.raises(ValueError, match="overflow"):
            linear_cross_entropy(
                hidden,
                weight,
                torch.tensor([target]),
                label_smoothing=label_smoothing,
                chunk_size=chunk_size,
            )


def test_a_minus_infinity_logit_that_is_not_used_is_harmless() -> None:
    hidden = torch.tensor([[300.0, 300.0]], dtype=torch.float16)
    weight = torch.tensor([[1.0, 1.0], [-200.0, -200.0], [0.0, 0.0]], dtype=torch.float16)
    loss = linear_cross_entropy(hidden, weight, torch.tensor([0]))
    assert loss.item() == 0.0  # lse = 600 exactly: exp(0 - 600) vanishes


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_tied_huge_logits_keep_log_two(reduction: str) -> None:
    # Logits (1e8, 1e8, 0): lse = 1e8 + log 2, which float32 rounds to 1e8.
    hidden = torch.tensor([[1.0]], requires_grad=True)
    weight = torch.tensor([[1e8], [1e8], [0.0]], requires_grad=True)
    target = torch.tensor([0])
    ours = linear_cross_entropy(hidden, weight, target, reduction=reduction)
    torch.testing.assert_close(ours.sum(), torch.tensor(math.log(2.0)))
    grads = torch.autograd.grad(ours.sum(), (hidden, weight))
    torch.testing.assert_close(grads[0], torch.zeros(1, 1))
    torch.testing.assert_close(grads[1], torch.tensor([[-0.5], [0.5], [0.0]]))


def test_float16_gradients_survive_loss_scaling() -> None:
    # Small per-row gradients, (s - q) / N, must not be flushed to float16's
    # zero before the loss scale multiplies them.
    generator = torch.Generator().manual_seed(0)
    rows, classes, features, loss_scale = 2048, 512, 8, 1024.0
    hidden = torch.randn(rows, features, generator=generator).half().requires_grad_()
    weight = (0.1 * torch.randn(classes, features, generator=generator)).half().requires_grad_()
    target = torch.randint(0, classes, (rows,), generator=generator)
    exact_hidden, exact_weight = (t.detach().double().requires_grad_() for t in (hidden, weight))
    exact = F.cross_entropy(exact_hidden @ exact_weight.T, target) * loss_scale
    reference = torch.autograd.grad(exact, (exact_hidden, exact_weight))
    ours = torch.autograd.grad(
        linear_cross_entropy(hidden, weight, target) * loss_scale, (hidden, weight)
    )
    theirs = torch.autograd.grad(
        F.cross_entropy(hidden @ weight.T, target) * loss_scale, (hidden, weight)
    )
    for mine, torchs, exact_grad in zip(ours, theirs, reference, strict=True):
        error = (mine.double() - exact_grad).norm() / exact_grad.norm()
        torch_error = (torchs.double() - exact_grad).norm() / exact_grad.norm()
        assert error <= 2 * torch_error


def test_second_derivatives_raise_rather_than_vanish() -> None:
    hidden, weight, _, target = make_case()
    loss = linear_cross_entropy(hidden.requires_grad_(), weight, target)
    with pytest.raises(RuntimeError, match="no second derivatives"):
        torch.autograd.grad(loss, hidden, create_graph=True)


def test_mean_of_all_ignored_targets_raises_value_error() -> None:
    with pytest.raises(ValueError, match="reduction='mean' with no target other than ignore"):
        call(target=torch.full((37,), -100))


def test_mismatched_devices_raise_value_error() -> None:
    hidden, weight, bias, target = make_case(dtype=torch.float32)
    with pytest.raises(ValueError, match="different devices"):
        linear_cross_entropy(hidden.to("meta"), weight, target, bias=bias)
