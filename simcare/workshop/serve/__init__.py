"""A live workshop round in the browser: teams decide on their laptops, the teacher projects.

`simcare.workshop.serve.round` keeps the round (teams, decisions, the lock, the debrief) on
disk and needs nothing beyond simcare; `simcare.workshop.serve.app` is the web application and
imports the ``serve`` extra (Starlette, uvicorn) itself, so nothing here needs it to import.
"""

from simcare.workshop.serve.round import ROUND_FILE, Round, open_round

__all__ = ["ROUND_FILE", "Round", "open_round"]
