"""omnivault: the small library behind the book "How does softmax work?".

Numerically stable softmax and its relatives, sampling, calibration, a plotting
style and seeding. Each public name is documented with the chapter that
explains it.
"""

from omnivault.calibration import (
    expected_calibration_error,
    fit_temperature,
    reliability_diagram,
)
from omnivault.information import entropy
from omnivault.plotting import PALETTE, use_house_style, use_svg_display
from omnivault.sampling import filter_logits, greedy, gumbel_max, sample
from omnivault.seed import seed_all
from omnivault.softmax import Softmax, log_softmax, logsumexp, softmax, softmax_jacobian

__version__ = "0.1.0"

__all__ = [
    "PALETTE",
    "Softmax",
    "__version__",
    "entropy",
    "expected_calibration_error",
    "filter_logits",
    "fit_temperature",
    "greedy",
    "gumbel_max",
    "log_softmax",
    "logsumexp",
    "reliability_diagram",
    "sample",
    "seed_all",
    "softmax",
    "softmax_jacobian",
    "use_house_style",
    "use_svg_display",
]
