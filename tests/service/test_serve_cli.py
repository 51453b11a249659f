from __future__ import annotations

import uvicorn
from typer.testing import CliRunner

from policytag.cli import app


def test_serve_help_lists_host_port_and_workers():
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--workers", "--log-level"):
        assert option in result.output


def test_serve_runs_the_app_factory_with_uvicorn(monkeypatch):
    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **options: calls.append((target, options)))
    result = CliRunner().invoke(app, ["serve", "--port", "8123", "--workers", "2"])
    assert result.exit_code == 0, result.output
    ((target, options),) = calls
    assert target == "service.app:create_app"
    assert options["factory"] is True
    assert (options["host"], options["port"], options["workers"]) == ("127.0.0.1", 8123, 2)
    assert options["access_log"] is False
    assert options["log_config"]["handlers"]["stderr"]["formatter"] == "json"
