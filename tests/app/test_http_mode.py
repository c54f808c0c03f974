"""HTTP mode end to end: the production WSGI stack (`bot.cli.wsgi_app` on waitress, as
`deskbot run --http` serves it) on a loopback port, driven by real HTTP requests."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest
import waitress
from slack_bolt import App

from bot.cli import wsgi_app
from handlers.commands.desk import LOOKING_UP
from tests.app.conftest import visible_text
from tests.slack_fakes import FakeSlackWebApi, signed_headers, slash_command_body

JOIN_TIMEOUT = 5.0


@pytest.fixture
def http_url(app: App) -> Iterator[str]:
    """The app served by waitress exactly as `deskbot run --http` does; stopped after."""
    server = waitress.create_server(
        wsgi_app(app), host="127.0.0.1", port=0, threads=4, ident="deskbot"
    )
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"  # type: ignore[union-attr]
    finally:

        def close_everything() -> None:  # runs on the server's own loop thread
            for channel in list(server._map.values()):  # type: ignore[union-attr]
                channel.close()

        server.trigger.pull_trigger(close_everything)  # type: ignore[union-attr]
        thread.join(JOIN_TIMEOUT)
        server.task_dispatcher.shutdown()  # type: ignore[union-attr]
        assert not thread.is_alive()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def test_a_signed_slash_command_is_answered_in_its_ack(
    http_url: str, http: httpx.Client, slack_api: FakeSlackWebApi
) -> None:
    body = slash_command_body("who 10019349", response_url=slack_api.response_url("who"))

    response = http.post(f"{http_url}/slack/events", content=body, headers=signed_headers(body))

    assert response.status_code == 200
    reply = response.json()  # a quick answer travels with the ack: no second post, no race
    assert "Night Shift (10019349)" in visible_text(reply)
    assert "Nobody in this group is claiming" in visible_text(reply)
    assert slack_api.response_posts() == []


def test_a_slow_answer_follows_a_looking_up_ack(
    http_url: str, http: httpx.Client, slack_api: FakeSlackWebApi, answers_follow_the_ack: None
) -> None:
    body = slash_command_body("who 10019349", response_url=slack_api.response_url("who"))

    response = http.post(f"{http_url}/slack/events", content=body, headers=signed_headers(body))

    assert response.status_code == 200
    assert response.text == LOOKING_UP
    [reply] = slack_api.wait_for_responses("who")
    assert reply["replace_original"] is True
    assert "Night Shift (10019349)" in visible_text(reply)


def test_health_check(http_url: str, http: httpx.Client) -> None:
    response = http.get(f"{http_url}/healthz")

    assert response.status_code == 200
    assert response.text == "ok\n"


def test_a_bad_signature_is_refused(
    http_url: str, http: httpx.Client, slack_api: FakeSlackWebApi
) -> None:
    body = slash_command_body("who 10019349", response_url=slack_api.response_url("forged"))

    response = http.post(
        f"{http_url}/slack/events", content=body, headers=signed_headers(body, "wrong-secret")
    )

    assert response.status_code == 401
    assert slack_api.response_posts("forged") == []


def test_get_on_the_events_path_is_not_served(http_url: str, http: httpx.Client) -> None:
    assert http.get(f"{http_url}/slack/events").status_code == 404


def test_other_paths_are_not_served(http_url: str, http: httpx.Client) -> None:
    body = slash_command_body("help")

    response = http.post(f"{http_url}/slack/other", content=body, headers=signed_headers(body))

    assert response.status_code == 404
