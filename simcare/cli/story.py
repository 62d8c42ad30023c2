"""`simcare story`: one customer's complaint journey as a timeline, with the numbers behind it."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from simcare.cli.checks import check_policies, check_workload, load
from simcare.cli.exits import EXIT_USAGE, exit_codes, fail
from simcare.cli.options import ScenarioArgument, SeedOption
from simcare.core.errors import shown
from simcare.experiments import workload
from simcare.reports.pick import PICK_REASONS, Pick

if TYPE_CHECKING:
    from simcare.model.records import RunRecord

StoryPolicyOption = Annotated[
    str | None,
    typer.Option(
        "--policy",
        "-p",
        help="The brand's response policy (default: the scenario's run.policy).",
    ),
]
CustomerOption = Annotated[
    int | None,
    typer.Option(
        "--customer",
        "-c",
        help="Tell this customer's story: a journey index from 0, the same customer under "
        "every policy.",
    ),
]
PickOption = Annotated[
    Pick | None,
    typer.Option(
        "--pick",
        help="Let simcare choose the customer (default: escalated, else the one with the "
        "most contacts). Only customers who complained after the warm-up are chosen.",
    ),
]
TwinOption = Annotated[
    str | None,
    typer.Option("--twin", help="Also tell the same customer's story under this policy."),
]
ReplicationOption = Annotated[
    int, typer.Option("--replication", min=0, help="Which replication of the seed to tell.")
]


def story_command(
    scenario: ScenarioArgument,
    policy: StoryPolicyOption = None,
    customer: CustomerOption = None,
    pick: PickOption = None,
    twin: TwinOption = None,
    seed: SeedOption = 2024,
    replication: ReplicationOption = 0,
) -> None:
    """Tell one customer's complaint journey as a timeline, with the numbers behind it.

    Example: simcare story loyal_fan_deleted_post --pick deleted --twin acknowledge_then_private
    """
    from simcare.model.replication import simulate
    from simcare.reports.story import format_story, format_twins, tell

    if customer is not None and pick is not None:
        fail("--customer and --pick choose the customer two ways; give one of them", EXIT_USAGE)
    loaded = load(scenario)
    chosen = policy or loaded.run.policy
    check_policies(loaded, [chosen], "--policy")
    if twin is not None:
        check_policies(loaded, [twin], "--twin")
    # A scenario too big for memory: the story keeps the record, and its twin's.
    check_workload([loaded], 1, workload.MAX_COMPLAINTS, records=2 if twin else 1)
    record = simulate(loaded, seed, replication, chosen)
    with exit_codes():
        journey, why = _choose(record, customer, pick, seed, replication)
        story = tell(record, loaded, journey)
    where = f"seed {seed}, replication {replication}"
    title = shown(loaded.title or loaded.name)  # a CR in it would overwrite the line
    if twin is None:
        heading = f"{title}\nPolicy {chosen}, {where}.\n{why}".rstrip()
        sys.stdout.write(format_story(story, heading + "\n"))
        return
    other = tell(simulate(loaded, seed, replication, twin), loaded, journey)
    heading = f"{title}\nPolicies {chosen} and {twin}, {where}.\n{why}".rstrip()
    sys.stdout.write(format_twins(story, other, chosen, twin, heading + "\n"))


def _choose(
    record: RunRecord, customer: int | None, pick: Pick | None, seed: int, replication: int
) -> tuple[int, str]:
    """The customer (journey index) whose story to tell, and why ("" when --customer chose).

    Raises:
        StoryError: Nobody fits --pick, or nobody complained.
    """
    from simcare.reports.story import StoryError, busiest, choose

    if customer is not None:
        count = len(record.journeys)
        if not 0 <= customer < count:
            valid = f"0 to {count - 1:,}" if count else "none: nobody complained"
            fail(
                f"--customer: expected a customer from {valid} (seed {seed}, replication "
                f"{replication}), found {customer}",
                EXIT_USAGE,
            )
        return customer, ""
    if pick is not None:
        try:
            journey = choose(record, pick, replication)
        except StoryError as error:
            raise StoryError(f"--pick: {error}") from error
        return journey, f"Picked ({pick.value}): this customer {PICK_REASONS[pick]}."
    try:
        journey = choose(record, Pick.ESCALATED, replication)
    except StoryError:
        return busiest(record), "Picked: nobody escalated; this customer made the most contacts."
    return journey, f"Picked (escalated): this customer {PICK_REASONS[Pick.ESCALATED]}."
