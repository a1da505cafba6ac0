"""The scenario layer: the typed schema, loading, key paths and stress presets.

Loading is one pass, each step in its own module: read TOML (:mod:`.loading`) -> merge the
area tables (:mod:`.merge`) -> validate against the schema (:mod:`.schema`, errors as key
paths by :mod:`.validate`) -> check the file's ``[stress.NAME]`` tables (:mod:`.stress`,
which edits by key path with :mod:`.keypaths`). Nothing here imports from a layer above.
"""

from .loading import load_scenario, load_stressed, read_scenario_toml, scenario_from_dict
from .schema import Area, Scenario, Timeline
from .stress import apply_stresses

__all__ = [
    "Area",
    "Scenario",
    "Timeline",
    "apply_stresses",
    "load_scenario",
    "load_stressed",
    "read_scenario_toml",
    "scenario_from_dict",
]
