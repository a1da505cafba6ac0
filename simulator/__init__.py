"""pbrsim: Monte Carlo cash-flow risk of Payment-by-Results contracts.

The public API: load a scenario, simulate it, read the Results; sweeps, break-even
solving and stress presets build on the same three steps.
"""

__version__ = "0.1.0"

from .breakeven import parse_target, solve  # noqa: E402
from .engine import simulate  # noqa: E402
from .errors import OutputError, PbrsimError, ScenarioError  # noqa: E402
from .results import Results  # noqa: E402
from .scenario import Scenario, load_scenario, scenario_from_dict  # noqa: E402
from .stress import apply_stresses, load_stressed  # noqa: E402
from .sweep import SweepSpec, run_sweep  # noqa: E402

__all__ = [
    "__version__",
    "OutputError",
    "PbrsimError",
    "Results",
    "Scenario",
    "ScenarioError",
    "SweepSpec",
    "apply_stresses",
    "load_scenario",
    "load_stressed",
    "parse_target",
    "run_sweep",
    "scenario_from_dict",
    "simulate",
    "solve",
]
