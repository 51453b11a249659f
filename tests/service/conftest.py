"""Fixtures: an app per test on its own data dir, with the rules model or a fake."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from policytag.settings import Settings
from service.app import create_app
from tests.service.fakes import FakePredictor, loader_for, make_settings, running


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The service with the real ``rules`` model."""
    with running(create_app(settings)) as client:
        yield client


@pytest.fixture
def fake() -> FakePredictor:
    return FakePredictor()


@pytest.fixture
def fake_client(settings: Settings, fake: FakePredictor) -> Iterator[TestClient]:
    """The service with ``FakePredictor``, which is fast and predictable."""
    with running(create_app(settings, loader=loader_for(fake))) as client:
        yield client
