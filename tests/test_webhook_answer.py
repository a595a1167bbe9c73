"""In webhook mode a button tap's answerCallbackQuery rides in the 200 response (bot/webhook.py,
bot/replies.py): the real Dispatcher through the real webhook app, on SQLite and PostgreSQL."""
from __future__ import annotations

from typing import Any

from aiogram.methods import AnswerCallbackQuery
from aiogram.types import Update
from aiohttp.test_utils import TestClient, TestServer

from bot.health import Metrics
from bot.replies import AnsweredInResponse
from bot.webhook import webhook_app
from testkit.botkit import Harness, Person, alerts, texts
from testkit.fakes.bot_api import call_in_response
from testkit.visitflow import Walk
from testkit.worlds import SHANGHAI, ZHANG, build, harness, world  # noqa: F401 - the fixtures

SECRET = "answer-secret"
PATH = "/hook"
STRANGER = Person(2002, "Mallory")
STALE = "v:old:123"  # a button from long ago: answered with an alert


def _client(h: Harness, metrics: Metrics | None = None) -> TestClient:
    return TestClient(TestServer(webhook_app(h.dp, h.bot, path=PATH, secret=SECRET, metrics=metrics)))


async def _post(client: TestClient, update: Update) -> tuple[int, tuple[str, dict[str, str]] | None]:
    """The response's status and the call it carries."""
    async with client.post(PATH, json=update.model_dump(mode="json", exclude_none=True),
                           headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
        return response.status, await call_in_response(response)


def _answers(h: Harness) -> list[AnswerCallbackQuery]:
    return [r for r in h.session.requests if isinstance(r, AnswerCallbackQuery)]


async def test_a_taps_answer_with_its_alert_rides_in_the_response_not_in_a_request(harness) -> None:  # noqa: F811
    metrics = Metrics()
    tap = harness.callback(STRANGER, STALE)
    async with _client(harness, metrics) as client:
        status, carried = await _post(client, tap)
    assert status == 200
    method, params = carried
    assert method == "answerCallbackQuery"
    assert params["callback_query_id"] == tap.callback_query.id
    assert "按钮已失效" in params["text"] and params["show_alert"] == "true"
    assert _answers(harness) == []  # the stand-in Bot API was not asked
    assert metrics.registry.get_sample_value("tepai_webhook_response_calls_total",
                                             {"method": "answerCallbackQuery"}) == 1


async def test_a_plain_answer_rides_too_and_the_next_question_goes_out_as_before(harness) -> None:  # noqa: F811
    walk = Walk(harness, ZHANG)
    await walk.send("/visit")
    tap = walk.tap("阳泉华鑫")
    before = len(harness.session.requests)
    async with _client(harness) as client:
        status, carried = await _post(client, tap)
    assert status == 200
    assert carried == ("answerCallbackQuery", {"callback_query_id": tap.callback_query.id})
    sent = harness.session.requests[before:]
    assert texts(sent) and "类型" in texts(sent)[-1]  # the next question, as a request
    assert _answers(harness) == []


async def test_a_message_update_carries_nothing(harness) -> None:  # noqa: F811
    async with _client(harness) as client:
        status, carried = await _post(client, harness.message(STRANGER, "/help"))
    assert (status, carried) == (200, None)
    assert texts(harness.session.requests)[-1]


async def test_a_tap_that_rolls_back_answers_500_and_its_answer_is_dropped(harness) -> None:  # noqa: F811
    async def fails_after_the_handler(handler, event, data: dict[str, Any]):  # noqa: ANN001, ANN202
        await handler(event, data)  # the answer is queued ...
        raise RuntimeError("bug")  # ... and the update rolls back

    harness.dp.callback_query.middleware(fails_after_the_handler)
    async with _client(harness) as client:
        status, carried = await _post(client, harness.callback(STRANGER, STALE))
    assert (status, carried) == (500, None)
    assert _answers(harness) == []


async def test_a_tap_that_committed_and_then_failed_answers_500_and_sends_its_answer(world, policy, clock,  # noqa: F811
                                                                                     tmp_path) -> None:
    """Past the commit (here: the outermost middleware fails on the way out) the update is done;
    the 500 carries nothing, so the answer goes out as a request, as it did before."""
    async def fails_on_the_way_out(handler, event, data: dict[str, Any]):  # noqa: ANN001, ANN202
        await handler(event, data)
        raise RuntimeError("after the commit")

    sessionmaker, store = world
    h = Harness.build(sessionmaker=sessionmaker, policy=policy, clock=clock, zone=SHANGHAI, evidence_store=store,
                      in_flight=fails_on_the_way_out)
    tap = h.callback(STRANGER, STALE)
    async with _client(h) as client:
        status, carried = await _post(client, tap)
    assert (status, carried) == (500, None)
    assert [a.callback_query_id for a in _answers(h)] == [tap.callback_query.id]


async def test_polling_still_sends_the_answer_as_a_request(world, policy, clock) -> None:  # noqa: F811
    h = build(world, policy, clock)
    requests = await h.press(STRANGER, STALE)  # as polling feeds it: no webhook response to ride in
    assert "按钮已失效" in alerts(requests)[0]


def test_an_answer_after_the_response_was_written_is_not_kept() -> None:
    """aiogram answers a slow update (55 s) before it ends: its answer then goes out as a request."""
    in_response = AnsweredInResponse()
    first, second = AnswerCallbackQuery(callback_query_id="1"), AnswerCallbackQuery(callback_query_id="2")
    assert in_response.take(first) and not in_response.take(second)  # one a response
    assert in_response.close() is first
    assert not AnsweredInResponse().close() and not _closed().take(first)


def _closed() -> AnsweredInResponse:
    in_response = AnsweredInResponse()
    in_response.close()
    return in_response
