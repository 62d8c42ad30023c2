"""Workshop mode: a 90-minute case workshop for a class, offline.

Before class, `load_workshop` works out a case's levers (`case`) and `template_text` gives one
small TOML decision file per team (`template`). After the teams have chosen, `read_teams` checks
their files (`decisions`), and `run_debrief` runs every team and an "Ignore everything" baseline
team on the same customers (`debrief`), scores and ranks them (`scoreboard`) and picks each
team's most telling customer story (`stories`). The handout, the debrief page and the terminal
scoreboard are in `simcare.workshop.pages`.

Nothing here prints; reading a team's file takes a path, as `load_scenario` does. The names
below are the ones the command line uses.
"""

from simcare.workshop.case import load_workshop
from simcare.workshop.debrief import DEFAULT_REPLICATIONS, DEFAULT_SEED, run_debrief
from simcare.workshop.decisions import DecisionError, read_teams, team_scenario
from simcare.workshop.template import template_text

__all__ = [
    "DEFAULT_REPLICATIONS",
    "DEFAULT_SEED",
    "DecisionError",
    "load_workshop",
    "read_teams",
    "run_debrief",
    "team_scenario",
    "template_text",
]
