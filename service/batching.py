"""Micro-batching: concurrent requests share one model call.

Requests go into an asyncio queue. One worker takes the first waiting request,
then keeps taking more until the batch holds ``max_texts`` documents or
``wait_s`` has passed, and tags the whole batch with one ``tag_documents`` call
(one ``predictor.predict`` over all segments) in a worker thread. While that call
runs, new requests queue up, so under load the next batch is full at once and the
service runs at the batch engine's throughput.

The worker takes ``holder.current`` once per batch, so a model swapped in meanwhile
serves the next batch and every request reports the version that tagged it. If a
batch fails, its requests are retried one by one so that one bad request fails alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from models.schema import TaggedDocument
from models.tagging import tag_documents
from service.errors import ModelUnavailable, Overloaded, limit_message
from service.metrics import Metrics
from service.model_holder import LoadedModel, ModelHolder

log = logging.getLogger("policytag.service.batching")

Tagger = Callable[..., list[TaggedDocument]]


@dataclass
class _Request:
    texts: list[str]
    split: bool
    include_metadata: bool
    future: asyncio.Future = field(repr=False)

    @property
    def options(self) -> tuple[bool, bool]:
        return (self.split, self.include_metadata)


@dataclass(frozen=True)
class Tagged:
    """One request's documents and the model that tagged them."""

    documents: list[TaggedDocument]
    model: LoadedModel


class MicroBatcher:
    def __init__(
        self,
        holder: ModelHolder,
        *,
        max_texts: int,
        wait_s: float,
        queue_size: int,
        metrics: Metrics | None = None,
        tagger: Tagger = tag_documents,
    ) -> None:
        self._holder = holder
        self._max_texts = max_texts
        self._wait_s = wait_s
        self._queue_size = queue_size
        self._metrics = metrics
        self._tagger = tagger
        self._queue: asyncio.Queue[_Request] | None = None
        self._carry: _Request | None = None
        self._task: asyncio.Task | None = None
        # documents per model call, the latest few thousand, for tests and benchmarks
        self.batch_sizes: deque[int] = deque(maxlen=10_000)

    async def start(self) -> None:
        self._queue = asyncio.Queue(maxsize=self._queue_size)
        self._task = asyncio.create_task(self._run(), name="policytag-micro-batcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        stopping = ModelUnavailable("the server is shutting down")
        waiting = [self._carry] if self._carry else []
        while self._queue is not None and not self._queue.empty():
            waiting.append(self._queue.get_nowait())
        for request in waiting:
            _settle(request, stopping)

    async def tag(self, texts: list[str], *, split: bool, include_metadata: bool) -> Tagged:
        """Tag ``texts`` as documents in the next batch; raises if no model is loaded."""
        self._holder.require()
        if self._queue is None:
            raise ModelUnavailable("the server is starting; retry shortly")
        future = asyncio.get_running_loop().create_future()
        try:
            self._queue.put_nowait(_Request(texts, split, include_metadata, future))
        except asyncio.QueueFull:
            message = limit_message(
                "too many requests are waiting", "batch_queue_size", self._queue_size
            )
            raise Overloaded(message) from None
        return await future

    async def _run(self) -> None:
        while True:
            batch = [r for r in await self._collect() if not r.future.done()]
            if not batch:
                continue
            try:
                model = self._holder.require()
                outcomes = await asyncio.to_thread(self._tag_batch, model, batch)
            except ModelUnavailable as exc:
                outcomes = [exc] * len(batch)
            except Exception as exc:  # the worker must outlive a bug in one batch
                log.exception("micro-batch of %d requests failed", len(batch))
                outcomes = [exc] * len(batch)
            for request, outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    _settle(request, outcome)
                else:
                    _settle(request, Tagged(outcome, model))

    async def _collect(self) -> list[_Request]:
        assert self._queue is not None
        if self._carry is not None:
            first, self._carry = self._carry, None
        else:
            first = await self._queue.get()
        batch, size = [first], len(first.texts)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_s
        while size < self._max_texts:
            try:
                request = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    request = await asyncio.wait_for(self._queue.get(), remaining)
                except TimeoutError:
                    break
            if size + len(request.texts) > self._max_texts:
                self._carry = request
                break
            batch.append(request)
            size += len(request.texts)
        return batch

    def _tag_batch(
        self, model: LoadedModel, batch: list[_Request]
    ) -> list[list[TaggedDocument] | Exception]:
        """Runs in a worker thread: one tagger call per distinct option set."""
        groups: dict[tuple[bool, bool], list[_Request]] = defaultdict(list)
        for request in batch:
            groups[request.options].append(request)
        outcomes: dict[int, list[TaggedDocument] | Exception] = {}
        for (split, include_metadata), requests in groups.items():
            texts = [text for r in requests for text in r.texts]
            ids = [f"doc-{i + 1}" for r in requests for i in range(len(r.texts))]
            try:
                documents = self._tagger(
                    texts, model.predictor, ids=ids, split=split, include_metadata=include_metadata
                )
            except Exception:
                log.warning("a batch of %d requests failed; retrying one by one", len(requests))
                for request in requests:
                    outcomes[id(request)] = self._tag_one(model, request)
                continue
            self._observe(documents, len(texts))
            position = 0
            for request in requests:
                outcomes[id(request)] = documents[position : position + len(request.texts)]
                position += len(request.texts)
        return [outcomes[id(request)] for request in batch]

    def _tag_one(self, model: LoadedModel, request: _Request) -> list[TaggedDocument] | Exception:
        try:
            documents = self._tagger(
                request.texts,
                model.predictor,
                split=request.split,
                include_metadata=request.include_metadata,
            )
        except Exception as exc:
            return exc
        self._observe(documents, len(request.texts))
        return documents

    def _observe(self, documents: list[TaggedDocument], n_texts: int) -> None:
        self.batch_sizes.append(n_texts)
        if self._metrics is not None:
            self._metrics.observe_batch(documents, n_texts)


def _settle(request: _Request, outcome: Tagged | BaseException) -> None:
    """Resolve a request's future unless its client has gone away."""
    if request.future.done():
        return
    if isinstance(outcome, BaseException):
        request.future.set_exception(outcome)
    else:
        request.future.set_result(outcome)
