"""``policytag annotate`` as a user runs it, with no server: one line, no hang."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from tests.annotation.fakes import REPO


def _run(*args: str, tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    environment = {
        **os.environ,
        "POLICYTAG_DATA_DIR": str(tmp_path / "data"),
        "POLICYTAG_ROUNDS_DIR": str(tmp_path / "rounds"),
        "POLICYTAG_LABEL_STUDIO_URL": f"http://127.0.0.1:{port}",
        "POLICYTAG_LABEL_STUDIO_TOKEN": "test-token-123",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "policytag", "annotate", *args],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_annotate_commands_fail_in_one_line_when_the_server_is_down(tmp_path):
    for command in (["setup"], ["push", "--n", "3"], ["pull"], ["cycle"]):
        result = _run(*command, tmp_path=tmp_path)
        assert result.returncode == 2, (command, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (command, result.stderr)
        assert lines[0].startswith("error: Label Studio is not reachable at http://127.0.0.1:")
        assert lines[0].endswith("start it with `policytag annotate server start`")


def test_cli_annotate_server_status_when_down(tmp_path):
    result = _run("server", "status", tmp_path=tmp_path)
    assert result.returncode == 1
    assert "not running" in result.stdout


def test_cli_annotate_config_is_up_to_date(tmp_path):
    result = _run("config", "--check", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr


def test_cli_annotate_report_without_rounds(tmp_path):
    result = _run("report", tmp_path=tmp_path)
    assert result.returncode == 0 and "no finished rounds" in result.stdout
