"""A local Label Studio server: its own venv, offline settings, a generated token.

Label Studio (about 1 GB installed) lives in a venv of its own,
``Settings.label_studio_venv_dir``, so the service's venv stays lean; the client side
only needs ``label-studio-sdk``. :func:`ensure_venv` creates the venv once and reuses
it while its marker names the pinned version.

The server's state lives under ``Settings.label_studio_home``::

    data/               LABEL_STUDIO_BASE_DATA_DIR (SQLite database, media)
    credentials.json    admin e-mail, password and API token (mode 0600)
    server.json         pid, port and URL of the running server
    server.log          its output

The process runs in a session of its own, so :func:`stop` ends it and the children
Django starts with one signal to the process group. Every wait has a deadline.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from models import atomic
from models.errors import PolicytagError
from policytag.settings import Settings

LABEL_STUDIO_VERSION = "1.23.2"
VENV_MARKER = ".policytag-label-studio"
INSTALL_TIMEOUT = 1200.0
START_TIMEOUT = 240.0
STOP_TIMEOUT = 20.0
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
ADMIN_EMAIL = "admin@policytag.local"

Progress = Callable[[str], None]


class ServerError(PolicytagError):
    """The local Label Studio server could not be installed, started or stopped."""


def _quiet(_: str) -> None:
    pass


# ---------------------------------------------------------------------------
# The venv


def venv_executable(venv: Path) -> Path:
    return Path(venv) / "bin" / "label-studio"


def venv_ready(venv: Path, version: str = LABEL_STUDIO_VERSION) -> bool:
    marker = Path(venv) / VENV_MARKER
    return (
        venv_executable(venv).is_file()
        and marker.is_file()
        and marker.read_text(encoding="utf-8").strip() == version
    )


@contextlib.contextmanager
def _lock(path: Path, timeout: float) -> Iterator[None]:
    """An exclusive file lock, so two installs never write one venv at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ServerError(
                        f"{path} is locked by another install for {timeout:g} s"
                    ) from None
                time.sleep(1.0)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(command: list[str], log: Path, timeout: float, what: str) -> None:
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"$ {' '.join(command)}\n")
        handle.flush()
        try:
            completed = subprocess.run(
                command,
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ServerError(f"{what} took longer than {timeout:g} s (log: {log})") from exc
    if completed.returncode != 0:
        raise ServerError(
            f"{what} failed with exit code {completed.returncode}: {_tail(log)} (log: {log})"
        )


def ensure_venv(
    venv: Path,
    version: str = LABEL_STUDIO_VERSION,
    python: str = sys.executable,
    timeout: float = INSTALL_TIMEOUT,
    progress: Progress = _quiet,
) -> Path:
    """Label Studio's executable, installing ``label-studio==version`` into ``venv`` if needed.

    A venv whose marker is missing or names another version (an interrupted or older
    install) is rebuilt from scratch.
    """
    venv = Path(venv).absolute()
    if venv_ready(venv, version):
        return venv_executable(venv)
    log = venv.with_name(venv.name + ".install.log")
    with _lock(venv.with_name(venv.name + ".lock"), timeout):
        if venv_ready(venv, version):
            return venv_executable(venv)
        if venv.exists():
            if not (venv / "pyvenv.cfg").is_file():
                raise ServerError(
                    f"{venv} exists but is not a venv; remove it or choose another path"
                )
            shutil.rmtree(venv)
        log.write_text("", encoding="utf-8")
        progress(f"installing label-studio {version} into {venv} (about 1 GB, a minute or two)")
        started = time.monotonic()
        _run([python, "-m", "venv", str(venv)], log, 120, "creating the Label Studio venv")
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
        _run(
            [*pip, "-q", f"label-studio=={version}"],
            log,
            timeout,
            f"pip install label-studio=={version}",
        )
        (venv / VENV_MARKER).write_text(version + "\n", encoding="utf-8")
        progress(f"installed label-studio {version} in {time.monotonic() - started:.0f} s")
    return venv_executable(venv)


# ---------------------------------------------------------------------------
# Credentials and state


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    token: str


@dataclass(frozen=True)
class Layout:
    home: Path

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def credentials_file(self) -> Path:
        return self.home / "credentials.json"

    @property
    def state_file(self) -> Path:
        return self.home / "server.json"

    @property
    def log_file(self) -> Path:
        return self.home / "server.log"


def layout(settings: Settings) -> Layout:
    return Layout(Path(settings.label_studio_home).absolute())


def read_credentials(settings: Settings) -> Credentials | None:
    path = layout(settings).credentials_file
    if not path.is_file():
        return None
    try:
        return Credentials(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as exc:
        raise ServerError(f"{path}: unreadable credentials ({exc})") from exc


def ensure_credentials(settings: Settings) -> Credentials:
    """The server's admin login and API token, generated on first use and kept 0600."""
    existing = read_credentials(settings)
    if existing is not None:
        return existing
    token = settings.label_studio_token.get_secret_value() if settings.label_studio_token else None
    credentials = Credentials(
        username=ADMIN_EMAIL,
        password=secrets.token_urlsafe(18),
        token=token or secrets.token_hex(20),
    )
    path = layout(settings).credentials_file
    atomic.write_text(path, json.dumps(asdict(credentials), indent=2) + "\n")
    path.chmod(0o600)
    return credentials


def server_env(settings: Settings, credentials: Credentials) -> dict[str, str]:
    """The recipe's offline settings (shared/label-studio.md) for this data dir."""
    env = dict(os.environ)  # PATH, HOME, locale for the child; our own keys override
    env.update(
        {
            "LABEL_STUDIO_BASE_DATA_DIR": str(layout(settings).data_dir),
            "LABEL_STUDIO_USERNAME": credentials.username,
            "LABEL_STUDIO_PASSWORD": credentials.password,
            "LABEL_STUDIO_USER_TOKEN": credentials.token,
            "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
            "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
            "LABEL_STUDIO_COLLECT_ANALYTICS": "false",
            "LABEL_STUDIO_LATEST_VERSION_CHECK": "false",
            "LABEL_STUDIO_CONVERTER_DOWNLOAD_RESOURCES": "false",
            "LABEL_STUDIO_FEATURE_FLAGS_OFFLINE": "true",
            "SENTRY_DSN": "",
            "FRONTEND_SENTRY_DSN": "",
            # The server listens on loopback only; these let it call our service there.
            "LABEL_STUDIO_ML_BLOCK_LOCAL_IP": "false",
            "LABEL_STUDIO_SSRF_PROTECTION_ENABLED": "false",
        }
    )
    return env


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.hostname is None or parts.port is None:
        raise ServerError(f"POLICYTAG_LABEL_STUDIO_URL {url!r} needs a host and a port")
    return parts.hostname, parts.port


def _port_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1.0):
        return True
    return False


def _healthy(url: str) -> bool:
    try:
        response = httpx.get(f"{url.rstrip('/')}/health", timeout=3.0)
    except httpx.HTTPError:
        return False
    return response.status_code == 200 and "UP" in response.text


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a live Label Studio (a recycled pid is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.is_file():
        try:
            content = cmdline.read_bytes()
        except OSError:
            return False
        return b"label-studio" in content or b"label_studio" in content
    return True


def _tail(log: Path, lines: int = 5) -> str:
    if not log.is_file():
        return ""
    text = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return " | ".join(line.strip() for line in text[-lines:])


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    healthy: bool
    url: str
    pid: int | None = None
    log: Path | None = None

    def describe(self) -> str:
        if self.running and self.healthy:
            return f"Label Studio is running at {self.url} (pid {self.pid})"
        if self.running:
            return f"Label Studio (pid {self.pid}) is running but not answering at {self.url}"
        if self.healthy:
            return f"a Label Studio not started by policytag answers at {self.url}"
        return "Label Studio is not running; start it with `policytag annotate server start`"


def _state(settings: Settings) -> dict | None:
    path = layout(settings).state_file
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None


def status(settings: Settings) -> ServerStatus:
    state = _state(settings)
    pid = int(state["pid"]) if state and "pid" in state else None
    running = pid is not None and _alive(pid)
    url = state["url"] if running and state else settings.label_studio_url
    return ServerStatus(
        running=running,
        healthy=_healthy(url),
        url=url,
        pid=pid if running else None,
        log=layout(settings).log_file,
    )


# Processes this Python process started, so stop() can reap them (no zombies in tests).
_CHILDREN: dict[int, subprocess.Popen] = {}


def start(
    settings: Settings,
    timeout: float = START_TIMEOUT,
    install_timeout: float = INSTALL_TIMEOUT,
    progress: Progress = _quiet,
) -> ServerStatus:
    """Start the local server (installing it first if needed) and wait until it is healthy."""
    current = status(settings)
    if current.running and current.healthy:
        return current
    if current.running:
        stop(settings)
    host, port = _host_port(settings.label_studio_url)
    if host not in LOOPBACK:
        raise ServerError(
            f"POLICYTAG_LABEL_STUDIO_URL points at {host}; `server start` only runs a local "
            "server on 127.0.0.1"
        )
    if _port_open(host, port):
        raise ServerError(
            f"port {port} on {host} is already in use; stop that program or set "
            "POLICYTAG_LABEL_STUDIO_URL to another port"
        )
    executable = ensure_venv(
        settings.label_studio_venv_dir, timeout=install_timeout, progress=progress
    )
    where = layout(settings)
    where.data_dir.mkdir(parents=True, exist_ok=True)
    credentials = ensure_credentials(settings)
    first = not any(where.data_dir.iterdir())
    progress(
        f"starting Label Studio on {host}:{port} "
        f"({'first start: migrations take about a minute' if first else 'a few seconds'})"
    )
    bind = "127.0.0.1" if host == "localhost" else host
    command = [
        str(executable),
        "start",
        "--internal-host",
        bind,
        "--port",
        str(port),
        "--no-browser",
    ]
    with where.log_file.open("a", encoding="utf-8") as log:
        log.write(f"\n=== {datetime.now(UTC).isoformat(timespec='seconds')} {' '.join(command)}\n")
        log.flush()
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=server_env(settings, credentials),
            cwd=where.home,
            start_new_session=True,
        )
    _CHILDREN[process.pid] = process
    url = f"http://{host}:{port}"
    state = {
        "pid": process.pid,
        "url": url,
        "port": port,
        "version": LABEL_STUDIO_VERSION,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    atomic.write_text(where.state_file, json.dumps(state, indent=2) + "\n")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            _forget(settings, process.pid)
            raise ServerError(
                f"Label Studio exited with code {code} while starting: "
                f"{_tail(where.log_file)} (log: {where.log_file})"
            )
        if _healthy(url):
            return ServerStatus(True, True, url, process.pid, where.log_file)
        time.sleep(1.0)
    stop(settings)
    raise ServerError(
        f"Label Studio did not become healthy within {timeout:g} s (log: {where.log_file})"
    )


def _forget(settings: Settings, pid: int) -> None:
    _CHILDREN.pop(pid, None)
    layout(settings).state_file.unlink(missing_ok=True)


def _wait_gone(pid: int, timeout: float) -> bool:
    child = _CHILDREN.get(pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child is not None:
            if child.poll() is not None:
                return True
        elif not _alive(pid):
            return True
        time.sleep(0.2)
    return False


def stop(settings: Settings, timeout: float = STOP_TIMEOUT) -> bool:
    """Stop the server's whole process group; ``False`` if it was not running."""
    state = _state(settings)
    pid = int(state["pid"]) if state and "pid" in state else None
    if pid is None or not _alive(pid):
        if pid is not None:
            _forget(settings, pid)
        return False
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
        if _wait_gone(pid, timeout if sig == signal.SIGTERM else 5.0):
            break
    else:
        raise ServerError(f"Label Studio (pid {pid}) did not stop")
    # Children of the group that outlived the leader get the same end.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    _forget(settings, pid)
    return True
