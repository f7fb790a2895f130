"""omnivault: the small library behind the book "How does softmax work?".

Numerically stable softmax and its relatives, sampling, calibration, attention
and a cross-entropy for large vocabularies, an offline interactive figure, a
plotting style and seeding. Each public name is documented with the chapter
that explains it.
"""

from omnivault.attention import attention
from omnivault.calibration import (
    expected_calibration_error,
    fit_temperature,
    reliability_diagram,
)
from omnivault.cross_entropy import linear_cross_entropy
from omnivault.information import entropy
from omnivault.interactive import temperature_explorer
from omnivault.plotting import PALETTE, use_house_style, use_svg_display
from omnivault.sampling import filter_logits, greedy, gumbel_max, sample
from omnivault.seed import seed_all
from omnivault.softmax import (
    Softmax,
    log_softmax,
    logsumexp,
    softmax,
    softmax_jacobian,
)

__version__ = "0.2.0"

__all__ = [
    "PALETTE",
    "Softmax",
    "__version__",
    "attention",
    "entropy",
    "expected_calibration_error",
    "filter_logits",
    "fit_temperature",
    "greedy",
    "gumbel_max",
    "linear_cross_entropy",
    "log_softmax",
    "logsumexp",
    "reliability_diagram",
    "sample",
    "seed_all",
    "softmax",
    "softmax_jacobian",
    "temperature_explorer",
    "use_house_style",
    "use_svg_display",
]
