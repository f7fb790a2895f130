"""Timing and peak-memory helpers shared by the benchmarks.

Time: `interleaved_medians` alternates the two implementations (ours, theirs,
ours, theirs, ...) so that a slow moment of the machine hits both alike.

Memory: each variant runs in a fresh subprocess (`measure_in_child`), so that
one variant's freed memory cannot hide another's peak. Python's tracemalloc
does not see torch's allocations; the child reads the kernel's resident-set
peak instead. After its inputs exist it resets that peak to the current size
(`reset_peak`: writing 5 to /proc/self/clear_refs) and reports how far the
peak rose during the measured call (`peak_kib` before and after). Where
clear_refs is not writable the baseline is the peak so far (ru_maxrss), which
can only make the rise smaller, for every variant alike.
"""

from __future__ import annotations

import json
import re
import resource
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def interleaved_medians(
    ours: Callable[[], object], theirs: Callable[[], object], repeats: int
) -> tuple[float, float]:
    """Median wall time in seconds of each callable, alternating between the two."""
    ours(), theirs()  # warm-up: allocator, thread pool, code paths
    ours_times: list[float] = []
    theirs_times: list[float] = []
    for _ in range(repeats):
        for function, times in ((ours, ours_times), (theirs, theirs_times)):
            start = time.perf_counter()
            function()
            times.append(time.perf_counter() - start)
    return statistics.median(ours_times), statistics.median(theirs_times)


def peak_kib() -> int:
    """The resident-set peak of this process in KiB (VmHWM, else ru_maxrss)."""
    status = Path("/proc/self/status").read_text()
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    if match:
        return int(match.group(1))
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def reset_peak() -> str:
    """Reset the resident-set peak to the current size; return the method used."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return "ru_maxrss"
    return "VmHWM after clear_refs"


def report_peak_rise(call: Callable[[], object]) -> None:
    """Print, as JSON, how many MiB the peak rose while `call` ran (run in a child)."""
    method = reset_peak()
    baseline = peak_kib()
    call()
    print(json.dumps({"extra_mib": (peak_kib() - baseline) / 1024, "method": method}))


def measure_in_child(command: list[str]) -> tuple[float, str]:
    """Run `command` (a child that calls `report_peak_rise`); return (MiB, method)."""
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return float(report["extra_mib"]), str(report["method"])
