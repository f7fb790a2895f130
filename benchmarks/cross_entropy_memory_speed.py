"""Peak memory and time of linear_cross_entropy against torch's materialising loss.

Run with `python benchmarks/cross_entropy_memory_speed.py`. The case is a language-model head:
N = 4096 hidden states of width D = 256, GPT-2's vocabulary V = 50257, float32, forward and
backward of the mean loss. The reference is `F.cross_entropy(hidden @ weight.T, target)`, which
builds the (N, V) logits, their log-softmax and their gradient. For this mean loss
linear_cross_entropy takes its row-block path: blocks of N * chunk_size // V rows, gradients
formed in the forward pass, three matrix products in all (the recomputing path, used for
reduction="none", does four).

Memory. Each variant runs once in its own fresh subprocess, which reports how far its resident-set
peak rose during forward and backward, on top of the imports and the seeded inputs (see
`_measure.py`). That includes the gradients of hidden and weight themselves.

Time. In this process, both variants alternate (ours, torch, ours, torch, ...) so that a slow
moment of the machine hits both alike; the table reports medians and their ratio.

Targets: peak memory at most 1/8 of torch's, time at most 1.5x torch's. The exit status is 1 if
either is missed. `--sweep` also measures several chunk sizes (how the default was chosen).
"""

from __future__ import annotations

import argparse
import sys

import torch
import torch.nn.functional as F
from _measure import interleaved_medians, measure_in_child, report_peak_rise

from omnivault.cross_entropy import DEFAULT_CHUNK_SIZE, linear_cross_entropy

N, V, D = 4096, 50257, 256
MEMORY_TARGET = 1 / 8
TIME_TARGET = 1.5
SWEEP = (1024, 2048, 4096, 8192, 16384)


def make_inputs() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    hidden = torch.randn(N, D, generator=generator).requires_grad_()
    weight = (torch.randn(V, D, generator=generator) / D**0.5).requires_grad_()
    target = torch.randint(0, V, (N,), generator=generator)
    return hidden, weight, target


def step(
    variant: str, chunk_size: int, hidden: torch.Tensor, weight: torch.Tensor, target: torch.Tensor
) -> None:
    """One forward and backward pass; the gradients are dropped afterwards."""
    hidden.grad = weight.grad = None
    if variant == "torch":
        loss = F.cross_entropy(hidden @ weight.T, target)
    else:
        loss = linear_cross_entropy(hidden, weight, target, chunk_size=chunk_size)
    loss.backward()


def child(variant: str, chunk_size: int) -> None:
    """Measure one variant's extra peak memory in this (fresh) process; print it as JSON."""
    inputs = make_inputs()
    report_peak_rise(lambda: step(variant, chunk_size, *inputs))


def measure_memory(variant: str, chunk_size: int) -> tuple[float, str]:
    return measure_in_child(
        [sys.executable, __file__, "--child", variant, "--chunk-size", str(chunk_size)]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE)
    parser.add_argument("--sweep", action="store_true", help=f"also try chunk sizes {SWEEP}")
    parser.add_argument("--child", choices=("torch", "omnivault"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.chunk_size)
        return 0

    logits_mib = N * V * 4 / 2**20
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; N = {N}, V = {V}, "
        f"D = {D}, float32, forward + backward, medians of {args.repeats}"
    )
    print(f"the (N, V) float32 logits alone take {logits_mib:.0f} MiB")
    torch_mib, method = measure_memory("torch", 0)
    print(f"extra peak memory ({method}): torch {torch_mib:.0f} MiB")
    inputs = make_inputs()
    chunk_sizes = sorted({args.chunk_size, *(SWEEP if args.sweep else ())})
    print(f"{'chunk':>6} {'memory':>9} {'ratio':>6} {'time':>8} {'torch':>8} {'ratio':>6}")
    passed = True
    for chunk_size in chunk_sizes:
        ours_mib, _ = measure_memory("omnivault", chunk_size)
        ours_time, torch_time = interleaved_medians(
            lambda c=chunk_size: step("omnivault", c, *inputs),
            lambda: step("torch", 0, *inputs),
            args.repeats,
        )
        memory_ratio, time_ratio = ours_mib / torch_mib, ours_time / torch_time
        print(
            f"{chunk_size:>6} {ours_mib:>5.0f} MiB {memory_ratio:>6.3f} {ours_time:>7.2f}s "
            f"{torch_time:>7.2f}s {time_ratio:>5.2f}x"
        )
        if chunk_size == args.chunk_size:
            passed = memory_ratio <= MEMORY_TARGET and time_ratio <= TIME_TARGET
    verdict = "met" if passed else "MISSED"
    print(
        f"chunk {args.chunk_size}: targets (memory <= 1/8 of torch's, time <= "
        f"{TIME_TARGET}x) {verdict}"
    )
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
