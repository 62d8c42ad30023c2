# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # simcare in a notebook
#
# A case, run, compared and swept from Python, with every result as a pandas DataFrame.
# This file is a notebook in jupytext's "percent" format: open it in Jupyter with jupytext
# installed (or `jupytext --to ipynb docs/notebook.py`), or run it as a script.
# `tests/test_notebook.py` executes it cell by cell, as Jupyter would, and shows each cell's
# last value; keep it quick (about ten seconds).
#
# Needs the `frames` extra: `pip install 'simcare[frames]'` (pandas).

# %%
import simcare

fan = simcare.load_scenario("loyal_fan_deleted_post")
fan.title

# %% [markdown]
# ## One policy, several replications
#
# A result shows its key outcomes (mean ±95% half-width); every outcome is in `.summary`
# and in `.to_frame()`.

# %%
run = simcare.run_replications(fan, replications=8, seed=1)
run

# %%
frame = run.to_frame()
frame[frame.scope == "all"][["outcome", "label", "mean", "ci_low", "ci_high"]].head(8)

# %% [markdown]
# ## Policies on the same customers
#
# An entry point takes a `Scenario`, a TOML file or a built-in case's name.

# %%
comparison = simcare.compare(
    "loyal_fan_deleted_post",
    ["delete", "reply_public", "acknowledge_then_private"],
    replications=8,
    seed=1,
)
comparison

# %%
table = comparison.to_frame()
money = table[(table.outcome == "net_value") & (table.scope == "all")]
money[["policy", "mean", "ci_low", "ci_high", "difference", "difference_low", "call"]]

# %% [markdown]
# ## A variant: one more agent on the social desk
#
# `with_values` sets dotted keys as a scenario file writes them (the keys `simcare sweep
# --set` takes), and checks the result; the scenario it starts from is not changed.

# %%
staffed = simcare.with_values(fan, {"teams.social_desk.shifts.0.agents": 2})
[team.shifts[0].agents for team in (fan.teams["social_desk"], staffed.teams["social_desk"])]

# %%
simcare.run_replications(staffed, replications=8, seed=1, policy="reply_public")

# %% [markdown]
# ## A sweep, and one summary shape for all three
#
# `.summary` is the same kind of table on a run, a comparison and a sweep; `where` picks
# rows. A sweep's frame has a column per swept key.

# %%
swept = simcare.sweep(
    fan,
    "teams.social_desk.shifts.0.agents=1,2",
    policies=["delete", "reply_public"],
    replications=4,
    seed=1,
)
swept

# %%
swept.summary.where(outcome="complainant_churn_rate", scope="all")

# %%
churn = swept.to_frame().query("outcome == 'complainant_churn_rate' and scope == 'all'")
churn.pivot(index="teams.social_desk.shifts.0.agents", columns="policy", values="mean")
