"""Composition: the WSGI module, `samverkan serve`, the background hook, the real agreement page."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from click.testing import CliRunner

from samverkan.bootstrap import start_background
from samverkan.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def test_wsgi_app_builds_from_samverkan_config_without_touching_the_database(monkeypatch, tmp_path, config):
    monkeypatch.setenv("SAMVERKAN_CONFIG", str(config.path))
    monkeypatch.setenv("SAMVERKAN_SECRET_KEY", "test-secret")
    sys.modules.pop("web.wsgi", None)
    module = importlib.import_module("web.wsgi")
    holder = module.app.extensions["samverkan"]
    assert holder._engine is None  # built lazily, after a server forks
    assert module.app.config["SESSION_COOKIE_HTTPONLY"] is True
    sys.modules.pop("web.wsgi", None)


def test_serve_is_a_command_with_host_and_port():
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--host" in result.output
    assert "--port" in result.output


def test_background_hook_can_be_shut_down(eng):
    background = start_background(eng)
    background.shutdown()


def test_agreement_page_with_the_real_engine(web):
    web.login("official")
    page = web.text("/agreement")
    assert "Samverkansavtal mellan Höörs kommun och Polisen" in page
    assert "Dagar kvar" in page
    assert "Vad avtalet kräver den här perioden" in page


def test_unknown_agreement_key_is_404(web):
    web.login("official")
    assert web.client.get("/agreement?agreement=nosuch").status_code == 404


def test_secret_key_is_made_once_and_kept_private(tmp_path, monkeypatch):
    import shutil

    from engine.config.load import load_config
    from web import _secret_key

    monkeypatch.delenv("SAMVERKAN_SECRET_KEY", raising=False)
    shutil.copy(ROOT / "config.toml", tmp_path / "config.toml")
    cfg = load_config(tmp_path / "config.toml")
    first, second = _secret_key(cfg, False), _secret_key(cfg, False)
    assert first == second
    assert len(first) == 64
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o077 == 0
