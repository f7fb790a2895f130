"""A figure that runs in the reader's browser: softmax(z / T) under a slider.

Everything the figure shows is computed here, in Python, for a grid of
temperatures: the probabilities, their entropy and the frequencies of seeded
draws. The page carries the numbers and a few lines of JavaScript that redraw
the figure when the slider moves, so it works offline, in the rendered book,
without a kernel, and the same inputs always produce the same HTML.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
from collections.abc import Sequence

import torch
from torch import Tensor

from omnivault._validation import (
    check_floating,
    check_positive_int,
    check_temperature,
)
from omnivault.information import entropy
from omnivault.plotting import PALETTE
from omnivault.sampling import sample
from omnivault.softmax import softmax

__all__ = ["TemperatureExplorer", "temperature_explorer"]

_SCRIPT = """
(() => {
  const root = document.getElementById(%(id)s);
  const data = JSON.parse(
    root.querySelector("script[type='application/json']").textContent);
  const slider = root.querySelector("input");
  const readout = root.querySelector(".ov-readout");
  const marker = root.querySelector(".ov-marker");
  const probBars = root.querySelectorAll(".ov-prob");
  const freqBars = root.querySelectorAll(".ov-freq");
  const labels = root.querySelectorAll(".ov-value");
  const { plotHeight, top, entropyX, entropyY } = data.layout;
  function draw(index) {
    const t = data.temperatures[index];
    data.probs[index].forEach((p, k) => {
      const h = p * plotHeight;
      probBars[k].setAttribute("y", top + plotHeight - h);
      probBars[k].setAttribute("height", h);
      labels[k].textContent = p.toFixed(3);
    });
    data.freqs[index].forEach((f, k) => {
      const h = f * plotHeight;
      freqBars[k].setAttribute("y", top + plotHeight - h);
      freqBars[k].setAttribute("height", h);
    });
    marker.setAttribute("cx", entropyX[index]);
    marker.setAttribute("cy", entropyY[index]);
    slider.setAttribute("aria-valuetext", `T = ${t.toPrecision(3)}`);
    // Joined by no-break spaces: a narrow column wraps only before "entropy".
    const kept = (...parts) => parts.join("\\u00a0");
    readout.textContent = kept("T", "=", t.toPrecision(3)) + "    "
      + kept("entropy", data.entropy[index].toFixed(3), "nats", "(max", "log",
        "K", "=", data.maxEntropy.toFixed(3) + ")");
  }
  slider.addEventListener("input", () => draw(Number(slider.value)));
  draw(Number(slider.value));
})();
"""


class TemperatureExplorer:
    """The HTML of a figure with a temperature slider, which Jupyter displays.

    Parameters
    ----------
    html : str
        The complete figure: markup, data and script.
    description : str
        The plain-text form, shown where HTML is not (``repr``).
    """

    def __init__(self, html: str, description: str) -> None:
        self.html = html
        self.description = description

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.description


def _temperature_grid(low: float, high: float, steps: int) -> list[float]:
    """Return `steps` temperatures from `low` to `high` evenly spaced in log T.

    Each is rounded to three significant digits.
    """
    # In logs throughout: high / low, or exp of log(high / low), may overflow.
    log_low, log_high = math.log(low), math.log(high)
    step = (log_high - log_low) / (steps - 1)
    return [float(f"{math.exp(log_low + step * i):.3g}") for i in range(steps)]


def temperature_explorer(
    logits: Tensor,
    *,
    temperatures: Sequence[float] = (0.1, 10.0),
    steps: int = 41,
    num_samples: int = 500,
    seed: int = 0,
    labels: Sequence[str] | None = None,
) -> TemperatureExplorer:
    r"""Build an offline figure of ``softmax(logits / T)`` with a slider for T.

    The figure shows, for the temperature under the slider, a bar per class of
    the probability :math:`\sigma(z / T)_k`, beside it the frequency of class
    :math:`k` in `num_samples` seeded draws from that distribution, and a curve
    of the entropy :math:`H(\sigma(z/T))` against :math:`\log T` with the
    current temperature marked on it.

    Parameters
    ----------
    logits : Tensor
        A 1-d tensor of :math:`2 \le K \le 12` finite logits, any floating
        dtype.
    temperatures : (float, float), default (0.1, 10.0)
        The lowest and highest temperature of the slider, ``0 < low < high``.
    steps : int, default 41
        Number of temperatures on the slider, evenly spaced in :math:`\log T`
        and rounded to three significant digits; at least 2.
    num_samples : int, default 500
        Draws per temperature for the frequencies.
    seed : int, default 0
        Seed of the generator that draws them: the same arguments always give
        the same figure.
    labels : sequence of str, optional
        A name per class (default ``"1"`` to ``"K"``).

    Returns
    -------
    TemperatureExplorer
        An object that notebooks display as the figure (``_repr_html_``).

    Raises
    ------
    TypeError
        If `logits` is not a floating-point tensor.
    ValueError
        If `logits` is not 1-d with 2 to 12 finite entries, if the
        temperatures are not finite with ``0 < low < high``, if `steps` is
        below 2 or `num_samples` below 1, or if `labels` has the wrong length.

    Notes
    -----
    The chapter :doc:`/chapters/temperature` shows it.

    Examples
    --------
    >>> import torch
    >>> figure = temperature_explorer(torch.tensor([1.0, 2.0, 3.0]), steps=5)
    >>> figure
    TemperatureExplorer(K=3, T from 0.1 to 10, 5 steps, 500 draws each, seed 0)
    >>> "<input" in figure._repr_html_()
    True
    """
    z = check_floating(logits, "logits").double()
    if z.dim() != 1 or not 2 <= z.numel() <= 12:
        raise ValueError(
            "logits must be 1-d with 2 to 12 entries, "
            f"got shape {tuple(z.shape)}"
        )
    if not bool(torch.isfinite(z).all()):
        raise ValueError("logits must be finite")
    if len(temperatures) != 2:
        raise ValueError(
            f"temperatures must be (low, high), got {temperatures!r}"
        )
    low, high = (check_temperature(t) for t in temperatures)
    if not low < high:
        raise ValueError(
            f"temperatures must satisfy low < high, got {low!r} and {high!r}"
        )
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
        raise ValueError(f"steps must be an int >= 2, got {steps!r}")
    num_samples = check_positive_int(num_samples, "num_samples")
    k = z.numel()
    names = (
        [str(i + 1) for i in range(k)]
        if labels is None
        else [str(n) for n in labels]
    )
    if len(names) != k:
        raise ValueError(f"labels must have {k} entries, got {len(names)}")

    grid = _temperature_grid(low, high, steps)
    generator = torch.Generator().manual_seed(seed)
    probs = [softmax(z, temperature=t) for t in grid]
    freqs = [
        torch.bincount(
            sample(
                z, temperature=t, num_samples=num_samples, generator=generator
            ),
            minlength=k,
        ).double()
        / num_samples
        for t in grid
    ]
    entropies = [float(entropy(p)) for p in probs]

    # Two panels in SVG units (px), side by side where the column is wide
    # enough and stacked on a phone, so that neither shrinks its text below
    # about 9 px: the bars (bars_width wide) and the entropy curve.
    bars_width, curve_panel, height, top, plot_height = 430, 250, 250, 20, 170
    bar_area, slot = 380, 380 / k
    curve_left, curve_width = 40, 190
    width = bars_width + curve_panel
    max_entropy = math.log(k)
    xs = [curve_left + curve_width * i / (steps - 1) for i in range(steps)]
    ys = [top + plot_height * (1 - h / max_entropy) for h in entropies]
    polyline = " ".join(
        f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True)
    )

    bars = []
    for i, name in enumerate(names):
        x = 40 + i * slot
        bar = slot * 0.38
        bars.append(
            f'<rect class="ov-prob" x="{x + slot * 0.1:.1f}" '
            f'width="{bar:.1f}" fill="{PALETTE[0]}"/>'
            f'<rect class="ov-freq" x="{x + slot * 0.1 + bar:.1f}" '
            f'width="{bar:.1f}" fill="{PALETTE[1]}" fill-opacity="0.75"/>'
            f'<text x="{x + slot / 2:.1f}" y="{top + plot_height + 16}" '
            f'text-anchor="middle">{html.escape(name)}</text>'
            f'<text class="ov-value" x="{x + slot / 2:.1f}" '
            f'y="{top + plot_height + 32}" '
            f'text-anchor="middle" font-size="12"></text>'
        )
    data = {
        "temperatures": grid,
        "probs": [[round(float(v), 6) for v in p] for p in probs],
        "freqs": [[round(float(v), 6) for v in f] for f in freqs],
        "entropy": [round(h, 6) for h in entropies],
        "maxEntropy": max_entropy,
        "layout": {
            "plotHeight": plot_height,
            "top": top,
            "entropyX": [round(x, 1) for x in xs],
            "entropyY": [round(y, 1) for y in ys],
        },
    }
    payload = json.dumps(data)
    element_id = (
        "ov-temperature-" + hashlib.sha1(payload.encode()).hexdigest()[:12]
    )
    script = _SCRIPT % {"id": json.dumps(element_id)}
    bar_markup = "".join(bars)
    bars_alt = (
        f"Bar chart of the softmax probabilities of {k} classes at the "
        f"temperature under the slider, each beside the frequency of that "
        f"class in {num_samples} seeded draws."
    )
    curve_alt = (
        f"Curve of the entropy against log T for T from {low:g} to {high:g}, "
        "rising towards log K, with a dot at the temperature under the slider."
    )
    markup = f"""<div id="{element_id}" class="ov-temperature-explorer"
 style="max-width:{width}px">
<label style="display:block;font-size:14px">temperature
<input type="range" min="0" max="{steps - 1}" step="1" value="{steps // 2}"
 style="width:100%"
 aria-label="temperature T, from {low:g} to {high:g} on a log scale"></label>
<div class="ov-readout"
 style="font:14px monospace;margin:4px 0;white-space:pre-wrap"
 aria-live="polite"></div>
<div style="display:flex;flex-wrap:wrap;font:13px sans-serif">
<svg viewBox="0 0 {bars_width} {height}" role="img"
 aria-label="{html.escape(bars_alt)}"
 style="flex:1 1 300px;max-width:{bars_width}px">
<line x1="36" y1="{top + plot_height}" x2="{40 + bar_area}"
 y2="{top + plot_height}" stroke="currentColor"/>
<line x1="36" y1="{top}" x2="36" y2="{top + plot_height}"
 stroke="currentColor"/>
<text x="30" y="{top + 4}" text-anchor="end">1</text>
<text x="30" y="{top + plot_height + 4}" text-anchor="end">0</text>
{bar_markup}
<rect x="{40 + bar_area - 150}" y="2" width="10" height="10"
 fill="{PALETTE[0]}"/>
<text x="{40 + bar_area - 136}" y="11">probability</text>
<rect x="{40 + bar_area - 60}" y="2" width="10" height="10"
 fill="{PALETTE[1]}"/>
<text x="{40 + bar_area - 46}" y="11">draws</text>
</svg>
<svg viewBox="0 0 {curve_panel} {height}" role="img"
 aria-label="{html.escape(curve_alt)}"
 style="flex:1 1 200px;max-width:{curve_panel}px">
<polyline points="{polyline}" fill="none" stroke="{PALETTE[2]}"
 stroke-width="2"/>
<line x1="{curve_left}" y1="{top}" x2="{curve_left + curve_width}" y2="{top}"
 stroke="currentColor" stroke-dasharray="3 3"/>
<text x="{curve_left}" y="{top - 6}">log K</text>
<line x1="{curve_left}" y1="{top + plot_height}"
 x2="{curve_left + curve_width}" y2="{top + plot_height}"
 stroke="currentColor"/>
<text x="{curve_left}" y="{top + plot_height + 16}">T = {low:g}</text>
<text x="{curve_left + curve_width}" y="{top + plot_height + 16}"
 text-anchor="end">{high:g}</text>
<text x="{curve_left + curve_width / 2}" y="{top + plot_height + 34}"
 text-anchor="middle">
entropy against log T</text>
<circle class="ov-marker" r="5" fill="{PALETTE[1]}"/>
</svg>
</div>
<script type="application/json">{payload}</script>
<script>{script}</script>
</div>"""
    description = (
        f"TemperatureExplorer(K={k}, T from {low:g} to {high:g}, "
        f"{steps} steps, {num_samples} draws each, seed {seed})"
    )
    return TemperatureExplorer(markup, description)
