"""Peak memory and time of omnivault's tiled attention against torch and a materialising version.

Run with `python benchmarks/attention_memory_speed.py` (about two minutes on two cores).

Memory: each variant runs once in its own fresh Python process, which reports how far its
resident-set peak rose during the call (forward, or forward and backward), on top of the imports
and the inputs (see `_measure.py`).

Time: omnivault and ``torch.nn.functional.scaled_dot_product_attention`` run interleaved
(ours, torch, ours, torch, ...) so that a slow moment of the machine hits both alike; the
table reports medians and their ratio.

Targets, at batch 1, 8 heads, L = S = 4096, d = 64, float32: the tiled forward's peak memory
at most 1/8 of the materialising one's, and so for forward and backward; forward time at most
2x torch's, forward and backward at most 2.5x. The script exits with status 1 if a target is
missed. ``--block-sizes 256 512 1024`` also times those block sizes (how the default was chosen).
"""

from __future__ import annotations

import argparse
import math
import sys

import torch
from _measure import interleaved_medians, measure_in_child, report_peak_rise
from torch.nn.functional import scaled_dot_product_attention

from omnivault.attention import DEFAULT_BLOCK_SIZE, attention

VARIANTS = ("omnivault", "torch", "materialising")
MEMORY_TARGET = 1 / 8
FORWARD_TARGET = 2.0
TRAINING_TARGET = 2.5


def materialising(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """softmax(Q K^T * scale) V with the whole L x S matrix of scores in memory."""
    scores = query @ key.transpose(-2, -1) * (1.0 / math.sqrt(query.shape[-1]))
    return torch.softmax(scores, dim=-1) @ value


def make_inputs(
    heads: int, length: int, dim: int, requires_grad: bool
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    shape = (1, heads, length, dim)
    return tuple(  # type: ignore[return-value]
        torch.randn(shape, generator=generator).requires_grad_(requires_grad) for _ in range(3)
    )


def run(variant: str, inputs: tuple[torch.Tensor, ...], backward: bool, block_size: int) -> None:
    """One call of `variant`, with its backward pass if `backward`."""
    query, key, value = inputs
    if variant == "omnivault":
        out = attention(query, key, value, block_size=block_size)
    elif variant == "torch":
        out = scaled_dot_product_attention(query, key, value)
    else:
        out = materialising(query, key, value)
    if backward:
        out.backward(torch.ones_like(out))


def child(args: argparse.Namespace) -> int:
    """Measure one variant's peak memory rise and print it as JSON."""
    inputs = make_inputs(args.heads, args.length, args.dim, args.backward)

    def call() -> None:
        with torch.set_grad_enabled(args.backward):
            run(args.child, inputs, args.backward, args.block_size)

    report_peak_rise(call)
    return 0


def peak_memory(variant: str, backward: bool, args: argparse.Namespace) -> float:
    """Peak memory rise in MiB of one call of `variant`, in a fresh process."""
    command = [
        sys.executable, __file__, "--child", variant, "--heads", str(args.heads),
        "--length", str(args.length), "--dim", str(args.dim),
        "--block-size", str(args.block_size),
    ]  # fmt: skip
    if backward:
        command.append("--backward")
    return measure_in_child(command)[0]


def timings(args: argparse.Namespace, block_size: int) -> tuple[float, float, float, float]:
    """(ours, torch) forward medians, then (ours, torch) forward-and-backward medians."""
    plain = make_inputs(args.heads, args.length, args.dim, False)
    with torch.no_grad():
        forward = interleaved_medians(
            lambda: run("omnivault", plain, False, block_size),
            lambda: run("torch", plain, False, block_size),
            args.repeats,
        )
    trainable = make_inputs(args.heads, args.length, args.dim, True)
    training = interleaved_medians(
        lambda: run("omnivault", trainable, True, block_size),
        lambda: run("torch", trainable, True, block_size),
        args.repeats,
    )
    return (*forward, *training)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--length", type=int, default=4096, help="L = S")
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--block-size", type=int, default=DEFAULT_BLOCK_SIZE)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--block-sizes", type=int, nargs="*", default=[])
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--backward", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, float32, batch 1, "
        f"{args.heads} heads, L = S = {args.length}, d = {args.dim}, "
        f"block_size {args.block_size}"
    )
    ok = True
    print(
        f"\npeak memory growth (MiB)  {'omnivault':>10} {'torch':>10} {'materialising':>14} ratio"
    )
    for backward, label in ((False, "forward"), (True, "forward + backward")):
        peaks = {variant: peak_memory(variant, backward, args) for variant in VARIANTS}
        ratio = peaks["omnivault"] / peaks["materialising"]
        ok &= ratio <= MEMORY_TARGET
        print(
            f"{label:<25} {peaks['omnivault']:>10.1f} {peaks['torch']:>10.1f} "
            f"{peaks['materialising']:>14.1f} {ratio:.3f} (target <= {MEMORY_TARGET:.3f})"
        )

    print(f"\ntime (median of {args.repeats}) {'block':>6} {'omnivault':>10} {'torch':>10} ratio")
    for block_size in [args.block_size, *args.block_sizes]:
        ours_f, torch_f, ours_t, torch_t = timings(args, block_size)
        for label, ours, theirs, target in (
            ("forward", ours_f, torch_f, FORWARD_TARGET),
            ("forward + backward", ours_t, torch_t, TRAINING_TARGET),
        ):
            ratio = ours / theirs
            if block_size == args.block_size:
                ok &= ratio <= target
            print(
                f"{label:<20} {block_size:>6} {ours * 1e3:>8.0f}ms {theirs * 1e3:>8.0f}ms "
                f"{ratio:.2f}x (target <= {target}x)"
            )
    print("all targets met" if ok else "a target was MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
