from __future__ import annotations

import asyncio
import threading

import pytest

from models.tagging import tag_documents
from service.batching import MicroBatcher
from service.errors import ModelUnavailable, Overloaded
from service.model_holder import ModelHolder
from tests.service.fakes import FakePredictor, make_settings


def _holder(tmp_path, predictor: FakePredictor) -> ModelHolder:
    holder = ModelHolder(make_settings(tmp_path), loader=lambda source, settings: predictor)
    holder.load()
    return holder


def _run(coroutine):
    return asyncio.run(coroutine)


TEXTS = [
    f"第{i}条：加强人才培养，实施启明星计划。" if i % 2 else f"第{i}条：建设算力。"
    for i in range(40)
]


def test_batcher_concurrent_requests_share_model_calls(tmp_path):
    predictor = FakePredictor()
    holder = _holder(tmp_path, predictor)

    async def main():
        batcher = MicroBatcher(holder, max_texts=16, wait_s=0.05, queue_size=100)
        await batcher.start()
        try:
            results = await asyncio.gather(
                *(batcher.tag([text], split=True, include_metadata=True) for text in TEXTS)
            )
        finally:
            await batcher.stop()
        return batcher, results

    batcher, results = _run(main())
    assert len(predictor.calls) < len(TEXTS)
    assert max(batcher.batch_sizes) == 16
    assert all(size <= 16 for size in batcher.batch_sizes)
    sequential = [tag_documents([text], predictor)[0] for text in TEXTS]
    assert [r.documents[0] for r in results] == sequential
    assert {r.model.version for r in results} == {"fake-1"}


def test_batcher_a_failing_request_fails_alone(tmp_path):
    holder = _holder(tmp_path, FakePredictor())

    async def main():
        batcher = MicroBatcher(holder, max_texts=64, wait_s=0.05, queue_size=100)
        await batcher.start()
        try:
            return await asyncio.gather(
                batcher.tag(["加强人才培养。"], split=True, include_metadata=False),
                batcher.tag(["BOOM"], split=True, include_metadata=False),
                batcher.tag(["建设算力。"], split=False, include_metadata=True),
                return_exceptions=True,
            )
        finally:
            await batcher.stop()

    good, bad, other = _run(main())
    assert isinstance(bad, RuntimeError)
    assert good.documents[0].labels == ["talent"]
    assert good.documents[0].metadata is None
    assert other.documents[0].metadata is not None


def test_batcher_in_flight_batch_finishes_on_the_old_model(tmp_path):
    gate = threading.Event()
    old = FakePredictor("old", gate=gate)
    holder = _holder(tmp_path, old)

    async def main():
        batcher = MicroBatcher(holder, max_texts=8, wait_s=0.0, queue_size=100)
        await batcher.start()
        try:
            first = asyncio.create_task(
                batcher.tag(["加强人才培养。"], split=True, include_metadata=True)
            )
            while not old.calls:  # the first batch is inside the model
                await asyncio.sleep(0.005)
            holder.swap(FakePredictor("new"), source="test")
            gate.set()
            second = await batcher.tag(["加强人才培养。"], split=True, include_metadata=True)
            return await first, second
        finally:
            await batcher.stop()

    first, second = _run(main())
    assert first.model.version == "old"
    assert second.model.version == "new"
    assert first.documents == second.documents


def test_batcher_full_queue_answers_overloaded(tmp_path):
    gate = threading.Event()
    holder = _holder(tmp_path, FakePredictor(gate=gate))

    async def main():
        batcher = MicroBatcher(holder, max_texts=1, wait_s=0.0, queue_size=1)
        await batcher.start()
        busy = asyncio.create_task(batcher.tag(["a"], split=True, include_metadata=True))
        await asyncio.sleep(0.05)  # the worker holds "a" in the model
        waiting = asyncio.create_task(batcher.tag(["b"], split=True, include_metadata=True))
        await asyncio.sleep(0.01)
        try:
            with pytest.raises(Overloaded, match="batch_queue_size"):
                await batcher.tag(["c"], split=True, include_metadata=True)
        finally:
            gate.set()
            await asyncio.gather(busy, waiting)
            await batcher.stop()

    _run(main())


def test_batcher_without_a_model_answers_unavailable(tmp_path):
    holder = ModelHolder(make_settings(tmp_path), loader=lambda source, settings: FakePredictor())

    async def main():
        batcher = MicroBatcher(holder, max_texts=8, wait_s=0.0, queue_size=10)
        await batcher.start()
        try:
            with pytest.raises(ModelUnavailable, match="loading"):
                await batcher.tag(["a"], split=True, include_metadata=True)
        finally:
            await batcher.stop()

    _run(main())
