"""One customer's journey told as a timeline in plain language, with the numbers behind it.

`choose` (or `busiest`) finds a customer in a finished `RunRecord`, `tell` tells their journey
as a `Story` (`telling`, in the words of `words`), and `format_story` and `format_twins` write
it as text (`text`). Nothing here simulates, prints or writes a file.
"""

from simcare.reports.story.choosing import busiest, choose
from simcare.reports.story.telling import Story, StoryError, tell
from simcare.reports.story.text import (
    format_story,
    format_twins,
    introduce,
    sentence,
    summary_lines,
)
from simcare.reports.story.words import clock

__all__ = [
    "Story",
    "StoryError",
    "busiest",
    "choose",
    "clock",
    "format_story",
    "format_twins",
    "introduce",
    "sentence",
    "summary_lines",
    "tell",
]
