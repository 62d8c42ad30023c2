"""Scenario files: TOML in, `Scenario` out (and back). The only room that knows TOML.

Every problem in a file is collected and reported together, each naming the file, the dotted
key, what was expected and what was found; a misspelt key gets "did you mean ...?".
"""

from simcare.scenario_file.document import scenario_from_dict
from simcare.scenario_file.guards import MAX_FILE_BYTES, TextFileError, parse_toml, read_text_file
from simcare.scenario_file.lookup import (
    builtin_scenarios,
    load_scenario,
    load_scenario_data,
    loads_scenario,
)
from simcare.scenario_file.writer import dump_scenario, scenario_to_dict

__all__ = [
    "MAX_FILE_BYTES",
    "TextFileError",
    "builtin_scenarios",
    "dump_scenario",
    "load_scenario",
    "load_scenario_data",
    "loads_scenario",
    "parse_toml",
    "read_text_file",
    "scenario_from_dict",
    "scenario_to_dict",
]
