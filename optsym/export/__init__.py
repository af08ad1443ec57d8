"""LaTeX export of the course: a topic (a rule, a schedule, a derivation) as a self-contained
``.tex``, or the whole course as one document with a chapter per topic; optionally compiled to
PDF with pdflatex (``optsym export``)."""

from __future__ import annotations

from optsym.export.course import Exported, export_course, export_topic
from optsym.export.topics import Topic, all_topics, find

__all__ = ["Exported", "Topic", "all_topics", "export_course", "export_topic", "find"]
