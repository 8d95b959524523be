"""WSGI entry point: `app` for gunicorn/waitress, from SAMVERKAN_CONFIG (default ./config.toml).

The engine (and its database connections) is built on the first request, after a
pre-forking server has forked its workers.
"""

from __future__ import annotations

from engine.config.load import load_config
from web import create_app

app = create_app(load_config())
