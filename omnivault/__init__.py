"""omnivault: the small library behind the book "How does softmax work?".

Numerically stable softmax and its relatives, sampling, calibration, a plotting
style and seeding. Each public name is documented with the chapter that
explains it.
"""

from omnivault.information import entropy
from omnivault.plotting import PALETTE, use_house_style, use_svg_display
from omnivault.seed import seed_all
from omnivault.softmax import Softmax, log_softmax, logsumexp, softmax, softmax_jacobian

__version__ = "0.1.0"

__all__ = [
    "PALETTE",
    "Softmax",
    "__version__",
    "entropy",
    "log_softmax",
    "logsumexp",
    "seed_all",
    "softmax",
    "softmax_jacobian",
    "use_house_style",
    "use_svg_display",
]
