"""Time omnivault's softmax and log_softmax against torch's fused kernels.

Run with `make bench`. Every case runs both implementations interleaved (ours,
torch, ours, torch, ...) so that a slow moment of the machine hits both alike,
and reports medians and their ratio. Target: omnivault within 3x of torch.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

from omnivault import log_softmax, softmax

CASES: list[tuple[tuple[int, ...], int]] = [
    ((256, 50257), -1),  # a batch of next-token distributions over GPT-2's vocabulary
    ((4096, 1000), -1),  # ImageNet-sized classification batch
    ((64, 128, 128), -1),  # attention scores: heads x queries x keys
    ((1000, 512), 0),  # normalising along the first dimension (strided slices)
]
TARGET = 3.0


def interleaved_medians(
    ours: Callable[[], object], theirs: Callable[[], object], repeats: int
) -> tuple[float, float]:
    """Median wall time in seconds of each callable, alternating between the two."""
    ours(), theirs()  # warm-up: allocator, thread pool, code paths
    ours_times, theirs_times = [], []
    for _ in range(repeats):
        for function, times in ((ours, ours_times), (theirs, theirs_times)):
            start = time.perf_counter()
            function()
            times.append(time.perf_counter() - start)
    return statistics.median(ours_times), statistics.median(theirs_times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=31)
    args = parser.parse_args()

    generator = torch.Generator().manual_seed(0)
    threads = torch.get_num_threads()
    print(f"torch {torch.__version__}, {threads} threads, float32, medians of {args.repeats}")
    print(f"{'function':<12} {'shape':<16} {'dim':>3} {'omnivault':>11} {'torch':>11} {'ratio':>6}")
    worst = 0.0
    with torch.no_grad():
        for shape, dim in CASES:
            x = torch.randn(shape, generator=generator)
            for name, ours, theirs in (
                ("softmax", softmax, torch.softmax),
                ("log_softmax", log_softmax, torch.log_softmax),
            ):
                ours_time, theirs_time = interleaved_medians(
                    lambda f=ours, x=x, dim=dim: f(x, dim),
                    lambda f=theirs, x=x, dim=dim: f(x, dim),
                    args.repeats,
                )
                ratio = ours_time / theirs_time
                worst = max(worst, ratio)
                print(
                    f"{name:<12} {tuple(shape)!s:<16} {dim:>3} "
                    f"{ours_time * 1e3:>9.2f}ms {theirs_time * 1e3:>9.2f}ms {ratio:>5.2f}x"
                )
    verdict = "within" if worst <= TARGET else "OUTSIDE"
    print(f"worst ratio {worst:.2f}x: {verdict} the {TARGET:.0f}x target")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
