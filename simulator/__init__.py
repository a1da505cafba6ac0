"""pbrsim: Monte Carlo cash-flow risk of Payment-by-Results contracts.

The public API: load a scenario, simulate it, read the Results; sweeps, break-even
solving and stress presets build on the same three steps. The package is in layers, each
a subpackage importing only from those below it (see docs/architecture.md): ``scenario``
-> ``engine`` (with ``kernels``) -> ``results`` -> ``studies`` / ``outputs`` -> ``cli``.
"""

from ._version import __version__
from .engine import simulate
from .errors import OutputError, PbrsimError, ScenarioError
from .outputs import study_plots as _study_plots  # noqa: F401  (registers the study results' figures)
from .results import Results
from .scenario import Scenario, apply_stresses, load_scenario, load_stressed, scenario_from_dict
from .studies import SweepSpec, parse_target, run_sweep, solve
from .studies.compare import CompareResult, compare
from .studies.incentives import IncentivesResult, incentives
from .studies.power import PowerResult, power
from .studies.sensitivity import TornadoResult, tornado
from .studies.sobol import SobolResult, sobol_indices

__all__ = [
    "__version__",
    "CompareResult",
    "IncentivesResult",
    "OutputError",
    "PbrsimError",
    "PowerResult",
    "Results",
    "Scenario",
    "ScenarioError",
    "SobolResult",
    "SweepSpec",
    "TornadoResult",
    "apply_stresses",
    "compare",
    "incentives",
    "load_scenario",
    "load_stressed",
    "parse_target",
    "power",
    "run_sweep",
    "scenario_from_dict",
    "simulate",
    "sobol_indices",
    "solve",
    "tornado",
]
