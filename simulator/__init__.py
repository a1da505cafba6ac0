"""pbrsim: Monte Carlo cash-flow risk of Payment-by-Results rehabilitation contracts."""

__version__ = "0.1.0"

from .errors import OutputError, PbrsimError, ScenarioError  # noqa: E402
from .scenario import Scenario, load_scenario, scenario_from_dict  # noqa: E402
from .results import Results  # noqa: E402
from .engine import simulate  # noqa: E402

__all__ = [
    "__version__",
    "OutputError",
    "PbrsimError",
    "Results",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "scenario_from_dict",
    "simulate",
]
