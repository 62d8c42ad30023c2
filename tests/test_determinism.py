"""One question, one answer: the same seed gives byte-identical files on 1 or 2 workers and on
every repeat (a Dask cluster: `test_a_sweep_on_a_dask_cluster_gives_the_same_files_as_one_process`
in test_experiments_cli.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import STAFF, invoke, short_fan

SWEEP = ("--set", f"{STAFF}=1,2", "-p", "delete,reply_public", "-r", "3")
COMPARE = ("-p", "delete,reply_public,ignore", "-r", "3")


@pytest.fixture(scope="module")
def fan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return short_fan(tmp_path_factory.mktemp("fan"))


def files(folder: Path, names: tuple[str, ...]) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in names}


def test_a_sweep_is_byte_identical_on_one_or_two_workers_and_when_repeated(
    fan: Path, tmp_path: Path
) -> None:
    names = ("points.csv", "replications.csv", "summary.csv")
    made = []
    for k, workers in enumerate(("1", "2", "1")):
        out = tmp_path / f"sweep{k}"
        result = invoke("sweep", fan, *SWEEP, "-w", workers, "-o", out)
        assert result.exit_code == 0, result.output
        made.append(files(out, names))
    assert made[0] == made[1] == made[2]
    assert len(made[0]["replications.csv"].splitlines()) > 100  # it holds real numbers


def test_a_comparison_and_a_run_are_byte_identical_when_repeated(fan: Path, tmp_path: Path) -> None:
    compared = []
    for k, workers in enumerate(("1", "2", "2")):
        out = tmp_path / f"compare{k}"
        result = invoke("compare", fan, *COMPARE, "-w", workers, "-o", out)
        assert result.exit_code == 0, result.output
        compared.append(files(out, ("comparison.csv", "comparison.json", "replications.csv")))
    assert compared[0] == compared[1] == compared[2]
    runs = []
    for k in range(2):
        out = tmp_path / f"run{k}"
        assert invoke("run", fan, "-r", "3", "-o", out).exit_code == 0
        runs.append(files(out, ("summary.csv", "replications.csv", "timeseries.csv")))
    assert runs[0] == runs[1]


def test_another_seed_gives_other_numbers(fan: Path, tmp_path: Path) -> None:
    """The check above could pass with constant output; this one could not."""
    summaries = []
    for seed in ("1", "2"):
        out = tmp_path / f"seed{seed}"
        assert invoke("run", fan, "-r", "3", "-s", seed, "-o", out).exit_code == 0
        summaries.append((out / "summary.csv").read_bytes())
    assert summaries[0] != summaries[1]
