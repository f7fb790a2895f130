"""Time omnivault's softmax, log_softmax and logsumexp against torch's fused kernels.

Run with `make bench`. Every case runs both implementations interleaved (ours,
torch, ours, torch, ...) so that a slow moment of the machine hits both alike,
and reports medians and their ratio. Targets (omnivault time / torch time):
softmax forward and forward+backward within 1.3x; log_softmax and logsumexp,
whose log1p form costs one more pass, within 2x. The script exits non-zero if
a target is missed.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import torch
from _measure import interleaved_medians

from omnivault import log_softmax, logsumexp, softmax

CASES: list[tuple[tuple[int, ...], int]] = [
    ((256, 50257), -1),  # a batch of next-token distributions over GPT-2's vocabulary
    ((4096, 1000), -1),  # ImageNet-sized classification batch
    ((64, 128, 128), -1),  # attention scores: heads x queries x keys
    ((1000, 512), 0),  # normalising along the first dimension (strided slices)
]

Kernel = Callable[[torch.Tensor, int], torch.Tensor]


def forward_and_backward(function: Kernel) -> Kernel:
    """`function` followed by its backward pass with a fixed upstream gradient."""

    def run(x: torch.Tensor, dim: int) -> torch.Tensor:
        leaf = x.detach().requires_grad_()
        output = function(leaf, dim)
        output.backward(x)  # any fixed tensor of the right shape serves as the gradient
        assert leaf.grad is not None
        return leaf.grad

    return run


def no_grad(function: Kernel) -> Kernel:
    def run(x: torch.Tensor, dim: int) -> torch.Tensor:
        with torch.no_grad():
            return function(x, dim)

    return run


COMPARISONS: list[tuple[str, Kernel, Kernel, float]] = [
    ("softmax", no_grad(softmax), no_grad(torch.softmax), 1.3),
    (
        "softmax f+b",
        forward_and_backward(softmax),
        forward_and_backward(torch.softmax),
        1.3,
    ),
    ("log_softmax", no_grad(log_softmax), no_grad(torch.log_softmax), 2.0),
    ("logsumexp", no_grad(logsumexp), no_grad(torch.logsumexp), 2.0),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=31)
    args = parser.parse_args()

    generator = torch.Generator().manual_seed(0)
    threads = torch.get_num_threads()
    print(f"torch {torch.__version__}, {threads} threads, float32, medians of {args.repeats}")
    print(
        f"{'function':<12} {'shape':<16} {'dim':>3} {'omnivault':>11} {'torch':>11} "
        f"{'ratio':>6} {'target':>6}"
    )
    missed = []
    for shape, dim in CASES:
        x = torch.randn(shape, generator=generator)
        for name, ours, theirs, target in COMPARISONS:
            ours_time, theirs_time = interleaved_medians(
                lambda f=ours, x=x, dim=dim: f(x, dim),
                lambda f=theirs, x=x, dim=dim: f(x, dim),
                args.repeats,
            )
            ratio = ours_time / theirs_time
            if ratio > target:
                missed.append(f"{name} {shape}")
            print(
                f"{name:<12} {tuple(shape)!s:<16} {dim:>3} "
                f"{ours_time * 1e3:>9.2f}ms {theirs_time * 1e3:>9.2f}ms {ratio:>5.2f}x "
                f"{target:>5.1f}x"
            )
    if missed:
        print("targets missed: " + ", ".join(missed))
        return 1
    print("every ratio within its target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
