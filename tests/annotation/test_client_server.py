"""The client and the server manager without a server: fast, one-line failures."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from annotation import server
from annotation.client import LabelStudioClient, LabelStudioUnavailable
from models.errors import PolicytagError
from tests.annotation.fakes import REPO, make_settings


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_client_dead_server_is_one_line_with_the_fix():
    url = f"http://127.0.0.1:{_closed_port()}"
    client = LabelStudioClient(url, "token-123", timeout=2.0)
    expected = (
        f"Label Studio is not reachable at {url}; start it with `policytag annotate server start`"
    )
    started = time.monotonic()
    for call in (client.check, client.projects, lambda: client.export(1)):
        with pytest.raises(LabelStudioUnavailable) as error:
            call()
        assert str(error.value) == expected
    assert time.monotonic() - started < 10


def test_client_without_a_token_says_how_to_get_one(tmp_path):
    with pytest.raises(PolicytagError, match="POLICYTAG_LABEL_STUDIO_TOKEN"):
        LabelStudioClient.from_settings(make_settings(tmp_path))


def test_client_uses_the_local_servers_generated_token(tmp_path):
    settings = make_settings(tmp_path)
    credentials = server.ensure_credentials(settings)
    assert len(credentials.token) >= 40
    assert server.layout(settings).credentials_file.stat().st_mode & 0o777 == 0o600
    assert server.ensure_credentials(settings) == credentials
    assert LabelStudioClient.from_settings(settings)._token == credentials.token


def test_server_status_and_stop_when_nothing_runs(tmp_path):
    settings = make_settings(tmp_path, label_studio_url=f"http://127.0.0.1:{_closed_port()}")
    state = server.status(settings)
    assert not state.running and not state.healthy
    assert "policytag annotate server start" in state.describe()
    assert server.stop(settings) is False


def test_server_refuses_a_remote_url(tmp_path):
    settings = make_settings(tmp_path, label_studio_url="http://10.1.2.3:8089")
    with pytest.raises(server.ServerError, match="only runs a local server"):
        server.start(settings)


def test_server_refuses_a_busy_port(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        settings = make_settings(tmp_path, label_studio_url=f"http://127.0.0.1:{port}")
        with pytest.raises(server.ServerError, match=f"port {port} on 127.0.0.1 is already in use"):
            server.start(settings)


def test_server_venv_is_reused_when_its_marker_matches(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "label-studio").write_text("#!/bin/sh\n", encoding="utf-8")
    (venv / server.VENV_MARKER).write_text(server.LABEL_STUDIO_VERSION + "\n", encoding="utf-8")
    assert server.ensure_venv(venv, python="/nonexistent/python") == venv / "bin" / "label-studio"


def test_server_venv_refuses_to_delete_a_folder_that_is_not_a_venv(tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(server.ServerError, match="is not a venv"):
        server.ensure_venv(precious)
    assert (precious / "thesis.txt").is_file()


def test_server_stop_ends_the_whole_process_group(tmp_path):
    settings = make_settings(tmp_path)
    # A stand-in "label-studio" whose child would outlive a plain kill of the parent.
    script = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)"
    process = subprocess.Popen(
        [sys.executable, "-c", script, "label-studio"], start_new_session=True, cwd=REPO
    )
    server._CHILDREN[process.pid] = process
    server.layout(settings).home.mkdir(parents=True)
    server.layout(settings).state_file.write_text(
        f'{{"pid": {process.pid}, "url": "http://127.0.0.1:9"}}', encoding="utf-8"
    )
    time.sleep(0.5)
    assert server.status(settings).running
    assert server.stop(settings, timeout=5) is True
    assert process.poll() is not None
    assert not server.layout(settings).state_file.exists()
    deadline = time.monotonic() + 5
    while _group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _group_alive(process.pid)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
