"""Workshop mode: a 90-minute case workshop for a class, offline.

A case's levers, the teams' decision files, the debrief that ranks them on the same customers,
and its pages (`simcare.workshop.pages`). Nothing here prints; the names below are its interface.
"""

from simcare.workshop.case import load_workshop
from simcare.workshop.debrief import DEFAULT_REPLICATIONS, DEFAULT_SEED, run_debrief
from simcare.workshop.decisions import DecisionError, read_teams, team_scenario
from simcare.workshop.levers import LeverError
from simcare.workshop.template import template_text
from simcare.workshop.workload import today_workload

__all__ = [
    "DEFAULT_REPLICATIONS",
    "DEFAULT_SEED",
    "DecisionError",
    "LeverError",
    "load_workshop",
    "read_teams",
    "run_debrief",
    "team_scenario",
    "template_text",
    "today_workload",
]
