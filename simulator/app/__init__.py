"""``pbrsim app``: a local what-if page in the browser, for people who will not open a TOML file.

Page 1 ("Can we survive this subcontract?", ``survive.py``) answers a subcontractor in
plain English; page 2 ("Any scenario", ``explore.py``) changes the key terms of any
scenario file and downloads the scenario, report.html and results.xlsx. ``routes.py``
joins them into a Starlette app, ``server.py`` serves it on 127.0.0.1 only.
"""

from .routes import create_app

__all__ = ["create_app"]
