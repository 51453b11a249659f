"""Property-based tests from the OpenAPI spec: no input may produce a server error.

Runs in-process against the ASGI app; schemathesis starts the app's lifespan on the
first call and keeps one event loop for all calls. A bounded, derandomized number of
examples per operation keeps CI quick and repeatable.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.python import asgi

from service.app import create_app
from service.training import retrain
from tests.service.fakes import AUTH, make_settings

MAX_EXAMPLES = 50
# Some content no schema can describe, so schema-valid requests are rightly refused
# (422) when it is wrong: a ``label_config`` must be Label Studio XML, and an uploaded
# file must hold JSONL, a .txt or a zip of .txt files.
XML_BODIES = {"POST /setup", "POST /predict"}

_DATA = Path(tempfile.mkdtemp(prefix="policytag-schemathesis-"))
# Training runs in the background for real; a quick rules retrain stands in for
# whatever type the generated request names (bert would train for minutes).
app = create_app(
    make_settings(_DATA), trainer=lambda settings, model_type: retrain(settings, "rules")
)
schema = schemathesis.openapi.from_dict(app.openapi())
schema.app = app  # calls go to the app in-process, as with ``from_asgi``


@pytest.fixture(scope="module", autouse=True)
def _remove_the_data():
    yield
    shutil.rmtree(_DATA, ignore_errors=True)


def _started() -> None:
    """Start the app (schemathesis ends its lifespan after each test) and await the model."""
    with asgi.get_client(app):
        assert app.state.holder.settled.wait(30), "the model did not load"


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_never_answers_with_a_server_error(case):
    _started()
    semantic = case.operation.label in XML_BODIES or case.media_type == "multipart/form-data"
    excluded = [schemathesis.checks.positive_data_acceptance] if semantic else []
    case.call_and_validate(headers=AUTH, excluded_checks=excluded)
