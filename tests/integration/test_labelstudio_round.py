"""A whole annotation round against a real Label Studio server on loopback.

The server runs from its own venv (``scripts/labelstudio-venv.sh`` makes it; CI caches
``.policytag/labelstudio-venv`` or the folder ``POLICYTAG_LABEL_STUDIO_VENV`` names), on
a free port, with a temporary data dir, and is torn down (its whole process group)
whatever happens. The test skips only when label-studio cannot be installed at all,
and never on CI (``CI`` set), where it must run.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import socket
from collections.abc import Iterator

import pytest

from annotation import server
from annotation.client import LabelStudioClient
from annotation.convert import labels_to_result
from annotation.cycle import run_cycle
from annotation.metrics import round_metrics
from annotation.project import setup_project
from annotation.pull import pull
from annotation.push import push
from annotation.rounds import load_round, manifest_path, read_manifest
from annotation.sampling import Strategy
from models.gold import load_gold
from models.schema import Span
from policytag.settings import Settings
from tests.annotation.fakes import POOL_DIR, REPO

pytestmark = pytest.mark.integration

START_TIMEOUT = 300.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def venv_dir():
    configured = Settings().label_studio_venv
    venv = configured or REPO / ".policytag" / "labelstudio-venv"
    try:
        server.ensure_venv(venv, progress=print)
    except server.ServerError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"label-studio must be installable on CI: {exc}")
        pytest.skip(f"label-studio cannot be installed here: {exc}")
    return venv


@pytest.fixture(scope="module")
def settings(tmp_path_factory, venv_dir) -> Settings:
    tmp = tmp_path_factory.mktemp("labelstudio-round")
    return Settings(
        _env_file=None,
        data_dir=tmp / "data",
        rounds_dir=tmp / "rounds",
        pool_dir=POOL_DIR,
        seeds_dir=REPO / "seeds",
        label_studio_url=f"http://127.0.0.1:{_free_port()}",
        label_studio_venv=venv_dir,
        label_studio_project="policytag-integration",
    )


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def client(settings) -> Iterator[LabelStudioClient]:
    try:
        state = server.start(settings, timeout=START_TIMEOUT, progress=print)
        atexit.register(_kill_group, state.pid)  # a last resort if finalizers never run
        yield LabelStudioClient.from_settings(settings)
    finally:
        server.stop(settings)
    assert not server.status(settings).healthy


def _annotate(client, task, labels, spans=()):
    text = task["data"]["text"]
    entities = [Span(start=s, end=e, label=k, text=text[s:e]) for s, e, k in spans]
    return client.create_annotation(task["id"], labels_to_result(labels, entities), lead_time=3.0)


def test_labelstudio_round_end_to_end(client, settings):
    # 1. The project is created once, then reused.
    first = setup_project(client, settings)
    again = setup_project(client, settings)
    assert first.created and not again.created and again.project_id == first.project_id
    assert not again.config_updated

    # 2. Ten pool segments go in with pre-annotations; a second push adds no duplicate.
    pushed = push(client, settings, "pool", 10, Strategy.uncertainty, model="rules")
    assert pushed.imported == 10
    tasks = sorted(client.tasks(first.project_id), key=lambda t: t["id"])
    assert len(tasks) == 10
    for task in tasks:
        assert task["data"]["source"] == "pool" and task["data"]["pool_id"]
        [prediction] = task["predictions"]
        assert prediction["model_version"] == pushed.model_version
        assert prediction["score"] is not None

    # 3. An annotator works through five tasks through the API; one span is broken.
    accepted, changed, empty, broken, named = tasks[:5]
    client.create_annotation(accepted["id"], accepted["predictions"][0]["result"], lead_time=2.0)
    _annotate(client, changed, ["talent", "funding"])
    _annotate(client, empty, [])
    bad_result = [
        *labels_to_result(["corpus"], []),
        {
            "id": "broken",
            "from_name": "entities",
            "to_name": "text",
            "type": "labels",
            "value": {"start": 0, "end": 3, "text": "不是这", "labels": ["FUND"]},
        },
    ]
    client.create_annotation(broken["id"], bad_result)
    new_name = named["data"]["text"][:5]
    _annotate(client, named, ["compute"], [(0, 5, "PLATFORM")])

    # 4. Pull: a stand-off round of the four good tasks; the broken one is reported.
    result = pull(client, settings)
    assert result.round == 1 and result.records == 4
    assert [t.task_id for t in result.invalid] == [broken["id"]]
    assert "says '不是这' but the text there is" in result.invalid[0].problems[0]
    lines = [json.loads(x) for x in result.round_file.read_text(encoding="utf-8").splitlines()]
    assert [line["pool_id"] for line in lines] == [
        t["data"]["pool_id"] for t in (accepted, changed, empty, named)
    ]
    assert all("text" not in line for line in lines)
    manifest = read_manifest(result.round_file)
    assert manifest.task_ids == [t["id"] for t in (accepted, changed, empty, named)]
    assert manifest.model_versions == [pushed.model_version]
    assert manifest.annotators == 1 and manifest.counts["records"] == 4
    assert manifest.invalid[0].task_id == broken["id"]
    examples = {ex.id: ex for ex in load_round(result.round_file, settings.pool_file)}
    assert examples[changed["data"]["segment_id"]].labels == ["talent", "funding"]
    assert examples[empty["data"]["segment_id"]].labels == []
    [span] = examples[named["data"]["segment_id"]].entities
    assert (span.text, span.label) == (new_name, "PLATFORM")

    # 5. Pulling again changes nothing.
    before = result.round_file.read_bytes(), manifest_path(result.round_file).read_bytes()
    assert not pull(client, settings).changed
    after = result.round_file.read_bytes(), manifest_path(result.round_file).read_bytes()
    assert after == before
    assert len(list(settings.rounds_dir.iterdir())) == 2

    # 6. The report compares the pre-annotations with the gold.
    [metrics] = round_metrics(settings.rounds_dir, settings.pool_file)
    assert metrics.pre_annotated == 4 and metrics.changed >= 2

    # 7. The cycle retrains on seeds + the round: a new model version, then the next batch.
    gold = load_gold(settings.seeds_dir, settings.rounds_dir, settings.pool_file)
    assert len(gold) == len(load_gold(settings.seeds_dir, settings.data_dir / "none")) + 4
    cycle = run_cycle(client, settings, model_type="tfidf", n=5, strategy=Strategy.diverse)
    assert not cycle.pulled.changed
    assert cycle.outcome.version != pushed.model_version
    assert cycle.outcome.promoted and cycle.outcome.report.n == len(gold)
    assert cycle.pushed is not None and cycle.pushed.imported == 5
    assert cycle.pushed.model_version == cycle.outcome.version
    texts = [t["data"]["text"] for t in client.tasks(first.project_id)]
    assert len(texts) == len(set(texts)) == 15
