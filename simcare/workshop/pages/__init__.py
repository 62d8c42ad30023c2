"""The workshop's pages: the printable handout, the debrief page and the terminal scoreboard.

They present what the workshop worked out (nothing here simulates, ranks or reads a file), built
like the report's (`simcare.reports.html`): escaped text, inline SVG charts, no scripts.
"""

from simcare.workshop.pages.debrief_page import debrief_html
from simcare.workshop.pages.handout import handout_html, teacher_html
from simcare.workshop.pages.terminal import scoreboard_table

__all__ = ["debrief_html", "handout_html", "scoreboard_table", "teacher_html"]
