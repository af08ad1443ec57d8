"""What every figure shares: the file check, a headless pyplot, saving."""

from __future__ import annotations

from pathlib import Path

from optsym.spec import SpecError

#: the file types a figure can be written as
FORMATS = (".png", ".pdf", ".svg")
#: the resolution of PNG figures (sharp enough in a PDF at the page's width)
PNG_DPI = 170


def check_path(path: str | Path) -> Path:
    """``path`` as a :class:`Path`; a name without a figure extension is a :class:`SpecError`."""
    p = Path(path)
    if not str(path).strip():
        raise SpecError("a figure needs a file name")
    if p.suffix.lower() not in FORMATS:
        raise SpecError(f"{path}: the file name must end in {', '.join(FORMATS[:-1])} or "
                        f"{FORMATS[-1]}")
    return p


def pyplot():
    """``matplotlib.pyplot`` on the Agg backend with mathtext (``usetex`` fails with Debian's
    TeX set)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"text.usetex": False, "svg.hashsalt": "optsym"})
    return plt


def save(fig, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` (format from the extension) and close it."""
    plt = pyplot()
    p = check_path(path)
    try:
        fig.savefig(p, metadata=_metadata(p), dpi=PNG_DPI if p.suffix.lower() == ".png"
                    else "figure")
    except (OSError, ValueError) as exc:
        raise SpecError(f"cannot write {path}: {getattr(exc, 'strerror', None) or exc}") \
            from None
    finally:
        plt.close(fig)
    return p


def _metadata(p: Path) -> dict:
    """Reproducible files: no creation date in PDF/SVG output."""
    suffix = p.suffix.lower()
    if suffix == ".pdf":
        return {"CreationDate": None}
    if suffix == ".svg":
        return {"Date": None}
    return {}
