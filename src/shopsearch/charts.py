"""Matplotlib, set up once for the charts the CLI writes (headless, with a CJK font where there is one)."""

from __future__ import annotations

import logging
from types import ModuleType

CJK_FONTS = ("WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans CJK JP")


def pyplot() -> ModuleType:
    """matplotlib.pyplot, set up (imported here only: most commands draw nothing)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # weight fallbacks are fine
    # Chinese query labels need a CJK font; fall back to one where the machine has it.
    installed = {font.name for font in font_manager.fontManager.ttflist}
    plt.rcParams["font.family"] = ["DejaVu Sans"] + [f for f in CJK_FONTS if f in installed]
    return plt
