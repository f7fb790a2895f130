"""The book's plotting style and deterministic SVG figures."""

from __future__ import annotations

from typing import Any, Final

from cycler import cycler
from matplotlib import style

__all__ = ["HOUSE_STYLE", "PALETTE", "use_house_style", "use_svg_display"]

#: Colour-blind-safe colours (Okabe and Ito), in the order figures use them.
PALETTE: Final[tuple[str, ...]] = (
    "#0072B2",  # blue
    "#D55E00",  # vermilion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)

#: Matplotlib settings shared by every figure in the book: the colours of
#: :data:`omnivault.PALETTE` in order, a light grid, no top or right spine,
#: 6.4 x 3.6 inch figures with constrained layout, and SVG output with fixed
#: ids whose text stays text.
HOUSE_STYLE: Final[dict[str, Any]] = {
    "axes.prop_cycle": cycler(color=list(PALETTE)),
    "axes.grid": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": "medium",
    "axes.labelsize": "medium",
    "grid.alpha": 0.3,
    "grid.linestyle": "-",
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 100,
    "figure.constrained_layout.use": True,
    "legend.frameon": False,
    "font.size": 10,
    "lines.linewidth": 1.8,
    # Deterministic SVG: fixed ids for clip paths. Text stays text, so a
    # reader can find it, select it and have it read aloud, and it renders at
    # the page's size.
    "svg.hashsalt": "omnivault",
    "svg.fonttype": "none",
}


def use_house_style() -> None:
    """Apply :data:`~omnivault.plotting.HOUSE_STYLE` to matplotlib's rcParams.

    Notes
    -----
    Every chapter calls it (through :func:`use_svg_display`) in its hidden
    first cell; :doc:`/chapters/index` says so.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> use_house_style()
    >>> mpl.rcParams["svg.hashsalt"]
    'omnivault'
    """
    style.use(HOUSE_STYLE)


def use_svg_display() -> None:
    """Show inline figures as reproducible SVG, in the house style.

    Inside IPython this selects the inline backend's ``svg`` format with the
    ``Date`` metadata removed; together with ``svg.hashsalt`` every rerun of a
    notebook writes byte-identical figures, so the executed book can be
    compared cell by cell. Outside IPython only the style is applied.

    Notes
    -----
    Every chapter calls it in its hidden first cell; :doc:`/chapters/index`
    says so.

    Examples
    --------
    >>> use_svg_display()
    >>> import matplotlib as mpl
    >>> mpl.rcParams["axes.spines.top"]
    False
    """
    use_house_style()
    try:
        from IPython import get_ipython
    except ImportError:  # plotting without IPython needs no inline backend
        return
    if get_ipython() is None:
        return
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats(  # type: ignore[no-untyped-call]
        "svg", metadata={"Date": None}
    )
