"""Tests of omnivault.attention: values, gradients and errors against torch's attention."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn.functional import scaled_dot_product_attention

from omnivault.attention import DEFAULT_BLOCK_SIZE, attention

F64 = torch.float64
TOLERANCE = {
    torch.float64: {"rtol": 1e-12, "atol": 1e-12},
    torch.float32: {"rtol": 1e-5, "atol": 2e-6},
}


def qkv(
    batch: tuple[int, ...],
    length: int,
    keys: int,
    dim: int = 8,
    value_dim: int = 5,
    dtype: torch.dtype = F64,
    seed: int = 0,
    requires_grad: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)

    def draw(*shape: int) -> torch.Tensor:
        tensor = torch.randn((*batch, *shape), generator=generator, dtype=F64).to(dtype)
        return tensor.requires_grad_(requires_grad)

    return draw(length, dim), draw(keys, dim), draw(keys, value_dim)


def bool_mask(shape: tuple[int, ...], seed: int = 1) -> torch.Tensor:
    """A random bool mask in which every query keeps at least its first key."""
    generator = torch.Generator().manual_seed(seed)
    mask = torch.rand(shape, generator=generator) < 0.6
    mask[..., 0] = True
    return mask


def float_mask(shape: tuple[int, ...], dtype: torch.dtype, seed: int = 2) -> torch.Tensor:
    """A random additive mask with some -inf entries, never in the first key."""
    generator = torch.Generator().manual_seed(seed)
    mask = torch.randn(shape, generator=generator, dtype=F64).to(dtype)
    mask = mask.masked_fill(~bool_mask(shape, seed + 1), -math.inf)
    return mask


def mask_kwargs(kind: str, length: int, keys: int, dtype: torch.dtype) -> dict[str, Any]:
    if kind == "causal":
        return {"is_causal": True}
    if kind == "bool":
        return {"attn_mask": bool_mask((length, keys))}
    if kind == "float":
        return {"attn_mask": float_mask((length, keys), dtype)}
    return {}


def assert_matches_torch(inputs: tuple[torch.Tensor, ...], block_size: int, **kwargs: Any) -> None:
    """Values and q, k, v gradients of `attention` equal those of torch's attention."""
    query, key, value = inputs
    tolerance = TOLERANCE[query.dtype]
    ours = attention(query, key, value, block_size=block_size, **kwargs)
    theirs = scaled_dot_product_attention(query, key, value, **kwargs)
    torch.testing.assert_close(ours, theirs, **tolerance)
    upstream = torch.randn(ours.shape, generator=torch.Generator().manual_seed(9), dtype=F64)
    upstream = upstream.to(ours.dtype)
    ours_grads = torch.autograd.grad(ours, inputs, upstream)
    theirs_grads = torch.autograd.grad(theirs, inputs, upstream)
    for mine, reference in zip(ours_grads, theirs_grads, strict=True):
        torch.testing.assert_close(mine, reference, **tolerance)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kind", ["none", "causal", "bool", "float"])
@pytest.mark.parametrize(
    ("length", "keys", "block_size"),
    [(7, 7, 3), (5, 11, 4), (13, 4, 3), (9, 10, DEFAULT_BLOCK_SIZE), (6, 5, 1)],
)
def test_values_and_gradients_match_torch(
    dtype: torch.dtype, kind: str, length: int, keys: int, block_size: int
) -> None:
    inputs = qkv((2, 3), length, keys, dtype=dtype, requires_grad=True)
    assert_matches_torch(inputs, block_size, **mask_kwargs(kind, length, keys, dtype))


@pytest.mark.parametrize("kind", ["none", "causal", "bool", "float"])
def test_several_query_tiles_match_torch(kind: str) -> None:
    # 300 queries span two tiles of queries; 70 keys in blocks of 32 leave a short last block.
    inputs = qkv((2,), 300, 70, dim=4, value_dim=3, dtype=torch.float32, requires_grad=True)
    assert_matches_torch(inputs, 32, **mask_kwargs(kind, 300, 70, torch.float32))


@pytest.mark.parametrize("kind", ["causal", "bool"])
def test_long_causal_and_masked_inputs_match_torch_with_more_keys_than_queries(kind: str) -> None:
    inputs = qkv((), 270, 600, dim=4, value_dim=3, dtype=torch.float32, requires_grad=True)
    assert_matches_torch(inputs, 100, **mask_kwargs(kind, 270, 600, torch.float32))


@pytest.mark.parametrize("batch", [(), (3,), (2, 3), (2, 1, 2)])
def test_any_number_of_batch_and_head_dimensions_matches_torch(batch: tuple[int, ...]) -> None:
    inputs = qkv(batch, 6, 9, requires_grad=True)
    assert_matches_torch(inputs, 4, is_causal=True)


@pytest.mark.parametrize("mask_shape", [(6, 9), (1, 9), (2, 1, 6, 9), (1, 3, 1, 9)])
@pytest.mark.parametrize("mask_kind", ["bool", "float"])
def test_masks_broadcast_like_torch(mask_shape: tuple[int, ...], mask_kind: str) -> None:
    inputs = qkv((2, 3), 6, 9, requires_grad=True)
    mask = bool_mask(mask_shape) if mask_kind == "bool" else float_mask(mask_shape, F64)
    assert_matches_torch(inputs, 4, attn_mask=mask)


def test_non_contiguous_inputs_match_torch() -> None:
    query, key, value = (t.transpose(-3, -2) for t in qkv((2, 7), 3, 3))  # (2, 3, 7, .)
    inputs = tuple(t.requires_grad_() for t in (query, key, value))
    assert not inputs[0].is_contiguous()
    assert_matches_torch(inputs, 2, is_causal=True)


def test_an_explicit_scale_matches_torch() -> None:
    assert_matches_torch(qkv((2,), 5, 6, requires_grad=True), 4, scale=0.3)


@settings(max_examples=15)
@given(
    length=st.integers(1, 12),
    keys=st.integers(1, 12),
    block_size=st.integers(1, 14),
    kind=st.sampled_from(["none", "causal", "bool", "float"]),
    seed=st.integers(0, 2**16),
)
def test_matches_torch_for_random_sizes_and_blocks(
    length: int, keys: int, block_size: int, kind: str, seed: int
) -> None:
    inputs = qkv((2,), length, keys, dim=3, value_dim=2, seed=seed, requires_grad=True)
    assert_matches_torch(inputs, block_size, **mask_kwargs(kind, length, keys, F64))


def test_the_result_does_not_depend_on_the_block_size_beyond_rounding() -> None:
    query, key, value = qkv((2,), 9, 23)
    results = [attention(query, key, value, block_size=b) for b in (1, 2, 5, 23, 100)]
    for result in results[1:]:
        torch.testing.assert_close(result, results[0], rtol=0.0, atol=1e-14)


@pytest.mark.parametrize("kind", ["none", "causal", "bool"])
def test_gradcheck_in_float64(kind: str) -> None:
    inputs = qkv((2,), 5, 7, dim=3, value_dim=2, requires_grad=True)
    kwargs = mask_kwargs(kind, 5, 7, F64)

    def function(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return attention(q, k, v, block_size=3, **kwargs)

    assert torch.autograd.gradcheck(function, inputs)


def test_gradcheck_of_a_float_mask_that_requires_grad() -> None:
    inputs = qkv((2,), 5, 7, dim=3, value_dim=2, requires_grad=True)
    mask = float_mask((5, 7), F64).requires_grad_()

    def function(*tensors: torch.Tensor) -> torch.Tensor:
        return attention(*tensors[:3], attn_mask=tensors[3], block_size=3)

    # -inf entries have zero gradient and cannot be perturbed finitely: check the finite mask
    finite = torch.where(torch.isinf(mask), torch.zeros_like(mask), mask).detach()
    assert torch.autograd.gradcheck(function, (*inputs, finite.requires_grad_()))
    ours = attention(*inputs, attn_mask=mask, block_size=3)
    theirs = scaled_dot_product_attention(*inputs, attn_mask=mask)
    (ours_grad,) = torch.autograd.grad(ours.sum(), mask)
    (theirs_grad,) = torch.autograd.grad(theirs.sum(), mask)
    torch.testing.assert_close(ours_grad, theirs_grad, rtol=1e-12, atol=1e-12)


def test_backward_saves_no_tensor_of_size_queries_times_keys() -> None:
    length = keys = 64
    saved: list[int] = []

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        saved.append(tensor.numel())
        return tensor

    query, key, value = qkv((), length, keys, dim=4, value_dim=4, requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        out = attention(query, key, value, is_causal=True, block_size=16)
    out.sum().backward()
    assert saved, "the hook saw no saved tensor"
    assert max(saved) <= length * 4 < length * keys


def test_leading_fully_masked_blocks_give_no_nan() -> None:
    query, key, value = (t.requires_grad_() for t in qkv((2,), 4, 10))
    mask = torch.ones(4, 10, dtype=torch.bool)
    mask[0, :8] = False  # query 0 sees only keys 8 and 9: its first two blocks are all masked
    mask[1, :4] = False
    out = attention(query, key, value, attn_mask=mask, block_size=4)
    assert torch.isfinite(out).all()
    grads = torch.autograd.grad(out.sum(), (query, key, value))
    assert all(torch.isfinite(grad).all() for grad in grads)
    assert_matches_torch((query, key, value), 4, attn_mask=mask)


def test_a_fully_masked_row_raises_value_error() -> None:
    query, key, value = qkv((2,), 4, 6)
    mask = torch.ones(4, 6, dtype=torch.bool)
    mask[2] = False
    with pytest.raises(ValueError, match="2 query row\\(s\\) have every key masked"):
        attention(query, key, value, attn_mask=mask, block_size=4)


def test_a_float_mask_of_minus_infinity_in_a_row_raises() -> None:
    query, key, value = qkv((), 3, 5)
    mask = torch.zeros(3, 5, dtype=F64)
    mask[1] = -math.inf
    with pytest.raises(ValueError, match="every key masked"):
        attention(query, key, value, attn_mask=mask)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_is_rounded_once_from_a_float32_computation(dtype: torch.dtype) -> None:
    inputs = qkv((2,), 40, 50, dtype=dtype, requires_grad=True)
    reference_inputs = [t.detach().to(F64).requires_grad_() for t in inputs]
    out = attention(*inputs, is_causal=True, block_size=16)
    reference = scaled_dot_product_attention(*reference_inputs, is_causal=True)
    assert out.dtype == dtype
    unit_roundoff = torch.finfo(dtype).eps / 2
    # one rounding to `dtype` (relative error <= u) plus float32 work (well below 1e-5)
    error = (out.to(F64) - reference).abs()
    assert (error <= unit_roundoff * reference.abs() + 1e-5).all()
    upstream = torch.randn(out.shape, generator=torch.Generator().manual_seed(3)).to(dtype)
    grads = torch.autograd.grad(out, inputs, upstream)
    reference_grads = torch.autograd.grad(reference, reference_inputs, upstream.to(F64))
    for grad, reference_grad in zip(grads, reference_grads, strict=True):
        assert grad.dtype == dtype
        error = (grad.to(F64) - reference_grad).abs()
        assert (error <= unit_roundoff * reference_grad.abs() + 1e-5).all()


def test_inputs_are_not_modified_by_forward_or_backward() -> None:
    query, key, value = qkv((2,), 5, 7, requires_grad=True)
    mask = float_mask((5, 7), F64).requires_grad_()
    before = [t.detach().clone() for t in (query, key, value, mask)]
    out = attention(query, key, value, attn_mask=mask, block_size=3)
    out.sum().backward()
    for tensor, copy in zip((query, key, value, mask), before, strict=True):
        assert torch.equal(tensor.detach(), copy)


def test_output_has_the_shape_of_torch_and_the_dtype_of_query() -> None:
    query, key, value = qkv((2, 3), 4, 6, dim=8, value_dim=5, dtype=torch.float32)
    out = attention(query, key, value)
    assert out.shape == (2, 3, 4, 5) and out.dtype == torch.float32


@pytest.mark.parametrize(("length", "value_dim"), [(0, 5), (3, 0)])
def test_an_empty_result_stays_in_the_graph_of_every_input(length: int, value_dim: int) -> None:
    query, key, value = qkv((2,), length, 6, value_dim=value_dim, requires_grad=True)
    out = attention(query, key, value)
    theirs = scaled_dot_product_attention(query, key, value)
    assert out.shape == theirs.shape and out.requires_grad
    out.sum().backward()
    for tensor in (query, key, value):
        assert tensor.grad is not None and not tensor.grad.any()


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("offset", [-1e9, "min", 1e8])
def test_gradients_match_torch_where_a_row_of_scores_is_huge(
    dtype: torch.dtype, offset: float | str
) -> None:
    # A padding row of scores near -1e9 (or finfo.min), or keys tied at a
    # large mask value: lse = m + log(l) would round log(l) away.
    query, key, value = qkv((2,), 5, 6, dtype=dtype, requires_grad=True)
    mask = torch.zeros(5, 6, dtype=dtype)
    if offset == "min":
        mask[0] = torch.finfo(dtype).min
    elif offset < 0:
        mask[0] = offset
    else:
        mask[:, :2] = offset
    ours = torch.autograd.grad(
        attention(query, key, value, attn_mask=mask).sum(), (query, key, value)
    )
    theirs = torch.autograd.grad(
        scaled_dot_product_attention(query, key, value, attn_mask=mask).sum(), (query, key, value)
    )
    tolerance = {"rtol": 2e-2, "atol": 2e-2} if dtype == torch.bfloat16 else TOLERANCE[dtype]
    for mine, reference in zip(ours, theirs, strict=True):
        torch.testing.assert_close(mine, reference, **tolerance)


def test_second_derivatives_raise_rather_than_vanish() -> None:
    query, key, value = qkv((), 3, 4, requires_grad=True)
    out = attention(query, key, value).sum()
    with pytest.raises(RuntimeError, match="no second derivatives"):
        torch.autograd.grad(out, query, create_graph=True)


# Bad input: each error its own test.


def test_a_non_tensor_query_raises_type_error() -> None:
    _, key, value = qkv((), 3, 4)
    with pytest.raises(TypeError, match=r"query must be a torch\.Tensor"):
        attention([[1.0]], key, value)  # type: ignore[arg-type]


def test_an_integer_key_raises_type_error() -> None:
    query, key, value = qkv((), 3, 4)
    with pytest.raises(TypeError, match="key must have a floating dtype"):
        attention(query, key.long(), value)


def test_an_integer_mask_raises_type_error() -> None:
    query, key, value = qkv((), 3, 4)
    with pytest.raises(TypeError, match="attn_mask must be a bool or floating tensor"):
        attention(query, key, value, attn_mask=torch.ones(3, 4, dtype=torch.long))


def test_a_non_bool_is_causal_raises_type_error() -> None:
    query, key, value = qkv((), 3, 4)
    with pytest.raises(TypeError, match="is_causal must be a bool"):
        attention(query, key, value, is_causal=1)  # type: ignore[arg-type]


def test_mismatched_head_dimensions_raise_value_error_naming_the_shapes() -> None:
    query, key, value = qkv((), 3, 4)
    with pytest.raises(
        ValueError, match=r"same last dimension E; got query \(3, 8\), key \(4, 7\)"
    ):
        attention(query, key[:, :7], value)


def test_mismatched_numbers_of_keys_and_values_raise_value_error() -> None:
    query, key, value = qkv((), 3, 4)
    with pytest.raises(ValueError, match=r"same number S of keys; .*value \(3, 5\)"):
        attention(query, key, value[:3])


def test_mismatched_leading_dimensions_raise_value_error() -> None:
    query, _, _ = qkv((2,), 3, 4)
    _, key, value = qkv((3,), 3, 4)
    with pytest.raises(ValueError, match=r"share their leading dimensions; got query \(2, 3, 8\)"):
        attention(query, key, value)


def test_one_dimensional_inputs_raise_value_error() -> None:
    query, key, value = qkv((), 3, 4)
    with pytest.raises(ValueError, match="same number \\(>= 2\\) of dimensions"):
        attention(query[0], key[0], value[0])


def test_mismatched_dtypes_raise_value_error() -> None:
    query, key, value = qkv((), 3, 4)
    with pytest.raises(ValueError, match=r"same dtype; got torch\.float64, torch\.float32"):
        attention(query, key.float(), value)


def test_a_float_mask_of_another_dtype_raises_value_error() -> None:
    query, key, value = qkv((), 3, 4)
    with pytest.raises(ValueError, match="must have the dtype of query"):
        attention(query, key, value, attn_mask=torch.zeros(3, 4))


def test_a_mask_that_does_not_broadcast_raises_value_error() -> None:
    query, key, value = qkv((2,), 3, 4)
    with pytest.raises(ValueError, match=r"shape \(3, 5\) does not broadcast to .* \(2, 3, 4\)"):
        attention(query, key, value, attn_mask=torch.ones(3, 5, dtype=torch.bool))


def test_a_mask_with_too_many_dimensions_raises_value_error() -> None:
    query, key, value = qkv((), 3, 4)
    with pytest.raises(ValueError, match="does not broadcast"):
        attention(query, key, value, attn_mask=torch.ones(1, 3, 4, dtype=torch.bool))


@pytest.mark.parametrize("name", ["query", "key", "value"])
def test_nan_in_an_input_raises_value_error(name: str) -> None:
    tensors = dict(zip(("query", "key", "value"), qkv((), 3, 4), strict=True))
    tensors[name] = tensors[name].clone()
    tensors[name][1, 1] = math.nan
    with pytest.raises(ValueError, match=f"{name} contains NaN"):
        attention(**tensors)


@pytest.mark.parametrize("infinity", [math.inf, -math.inf])
def test_an_infinite_query_raises_value_error(infinity: float) -> None:
    query, key, value = qkv((), 3, 4)
    query = query.clone()
    query[0, 0] = infinity
    with pytest.raises(ValueError, match="query contains inf"):
        attention(query, key, value)


@pytest.mark.parametrize(
    ("entry", "message"),
    [(math.nan, "attn_mask contains NaN"), (math.inf, "attn_mask contains \\+inf")],
)
def test_nan_or_plus_infinity_in_a_float_mask_raises_value_error(
    entry: float, message: str
) -> None:
    query, key, value = qkv((), 3, 4)
    mask = torch.zeros(3, 4, dtype=F64)
    mask[0, 1] = entry
    with pytest.raises(ValueError, match=message):
        attention(query, key, value, attn_mask=mask)


def test_overflowing_scores_raise_value_error() -> None:
    query, key, value = qkv((), 3, 4, dtype=torch.float32)
    with pytest.raises(ValueError, match="scores overflow"):
        attention(query * 1e20, key * 1e20, value)


def test_scores_that_overflow_to_minus_infinity_are_not_called_masked() -> None:
    query = torch.full((2, 4), 1e20)
    key = torch.full((3, 4), -1e20)
    with pytest.raises(ValueError, match="scores overflow"):
        attention(query, key, torch.ones(3, 2))


@pytest.mark.parametrize("block_size", [0, -3, 2.0, True, None])
def test_an_invalid_block_size_raises_value_error(block_size: object) -> None:
    query, key, value = qkv((), 3, 4)
    with pytest.raises(ValueError, match="block_size must be an int >= 1"):
        attention(query, key, value, block_size=block_size)  # type: ignore[arg-type]


@pytest.mark.parametrize("scale", [0.0, -1.0, math.nan, math.inf, True, "1", 10**400])
def test_an_invalid_scale_raises_value_error(scale: object) -> None:
    query, key, value = qkv((), 3, 4)
    with pytest.raises(ValueError, match="scale must be None or a finite real number > 0"):
        attention(query, key, value, scale=scale)  # type: ignore[arg-type]


def test_a_mask_together_with_is_causal_raises_value_error() -> None:
    query, key, value = qkv((), 3, 4)
    with pytest.raises(ValueError, match="either attn_mask or is_causal=True"):
        attention(query, key, value, attn_mask=bool_mask((3, 4)), is_causal=True)


def test_no_keys_raise_value_error() -> None:
    query, key, value = qkv((), 3, 0)
    with pytest.raises(ValueError, match="no keys"):
        attention(query, key, value)
