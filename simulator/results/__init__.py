"""The results layer: the labelled :class:`Results` object, its metrics and its files.

``results.py`` holds the object (named axes, summary with standard errors, provenance),
``metrics.py`` the estimators, ``files.py`` summary.json and sims.npz on disk, ``reading.py``
the checks that a saved result is whole and of one run.
"""

from .files import RESULT_FILES, SCENARIO_COPY, SIMS_FILE, SUMMARY_FILE, check_output_dir
from .results import Results

__all__ = ["RESULT_FILES", "SCENARIO_COPY", "SIMS_FILE", "SUMMARY_FILE", "Results", "check_output_dir"]
