"""What a chapter needs from the document it is written into: where its figures go, and how to
refer to another topic (a ``\\ref`` when that topic is a chapter of the same document, its
``optsym export`` command otherwise, so a single-topic document has no undefined reference)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from optsym.export.topics import Topic

#: figures are vector PDFs: pdflatex includes them directly (a PNG with matplotlib's alpha
#: channel costs pdflatex seconds per run)
FIGURE_FORMAT = ".pdf"


@dataclass
class Context:
    """The output directory, the topics that are chapters here, the figures written so far."""

    out: Path
    chapters: frozenset[str] = frozenset()
    figures: list[Path] = field(default_factory=list)

    @property
    def figure_dir(self) -> Path:
        return self.out / "figures"

    def figure(self, stem: str) -> tuple[Path, str]:
        """A new figure's file (created by the caller) and its path relative to the .tex."""
        self.figure_dir.mkdir(parents=True, exist_ok=True)
        path = self.figure_dir / f"{stem}{FIGURE_FORMAT}"
        self.figures.append(path)
        return path, f"figures/{stem}{FIGURE_FORMAT}"

    def has(self, topic: Topic) -> bool:
        return topic.key in self.chapters

    def ref(self, topic: Topic) -> str:
        """A reference to ``topic``: "Chapter n (title)" or its export command."""
        from optsym.export.latex import text, texttt

        if self.has(topic):
            return rf"Chapter~\ref{{{topic.label}}} (\nameref{{{topic.label}}})"
        return rf"\emph{{{text(topic.title)}}} ({texttt('optsym export ' + topic.key)})"
