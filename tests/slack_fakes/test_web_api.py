"""FakeSlackWebApi answers, records and fails like Slack, as seen through slack_sdk itself."""

from __future__ import annotations

import json
import threading
from types import SimpleNamespace

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_handlers
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from tests.slack_fakes import (
    APP_TOKEN,
    BOT_ID,
    BOT_TOKEN,
    BOT_USER_ID,
    CHANNEL_ID,
    TEAM_ID,
    FakeSlackWebApi,
    new_trigger_id,
)
from tests.slack_fakes.web_api import NO_SOCKET_MODE_SERVER


def _modal(title: str = "Create group", **extra: object) -> dict[str, object]:
    return {
        "type": "modal",
        "callback_id": "create_group",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Create"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Loading…"}}],
        **extra,
    }


def test_url_is_a_web_api_base_url(slack_api: FakeSlackWebApi) -> None:
    assert slack_api.url == f"http://127.0.0.1:{slack_api.port}/api/"
    assert slack_api.response_url("who 1") == f"{slack_api.base_url}/response/who%201"


def test_auth_test_describes_the_bot(slack_client: WebClient) -> None:
    response = slack_client.auth_test()

    assert response["ok"] is True
    assert (response["team_id"], response["user_id"], response["bot_id"]) == (
        TEAM_ID,
        BOT_USER_ID,
        BOT_ID,
    )
    assert response["url"].startswith("https://")


@pytest.mark.parametrize(
    ("token", "method", "error"),
    [
        ("xoxb-wrong", "auth.test", "invalid_auth"),
        (None, "auth.test", "not_authed"),
        (APP_TOKEN, "chat.postMessage", "not_allowed_token_type"),
        (BOT_TOKEN, "apps.connections.open", "not_allowed_token_type"),
    ],
)
def test_tokens_are_checked_like_slack(
    slack_api: FakeSlackWebApi, token: str | None, method: str, error: str
) -> None:
    client = WebClient(base_url=slack_api.url, token=token)

    with pytest.raises(SlackApiError) as raised:
        client.api_call(method, json={"channel": CHANNEL_ID, "text": "hi"})

    assert raised.value.response.status_code == 200
    assert raised.value.response["error"] == error


def test_json_calls_are_recorded_with_token_and_parsed_body(
    slack_api: FakeSlackWebApi, slack_client: WebClient
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    slack_client.chat_postMessage(channel=CHANNEL_ID, text="hi", blocks=blocks)

    [request] = slack_api.requests("chat.postMessage")
    assert request.sent_as_json
    assert request.content_type.startswith("application/json")
    assert request.headers["authorization"] == f"Bearer {BOT_TOKEN}"
    assert request.token == BOT_TOKEN
    assert request.params == {"channel": CHANNEL_ID, "text": "hi", "blocks": blocks}
    assert request.response["ok"] is True


def test_form_calls_are_recorded_and_json_fields_decoded(
    slack_api: FakeSlackWebApi, slack_client: WebClient
) -> None:
    blocks = [{"type": "divider"}]
    slack_client.api_call(
        "chat.postMessage",
        params={"channel": CHANNEL_ID, "text": "hi", "blocks": json.dumps(blocks)},
    )

    [request] = slack_api.requests("chat.postMessage")
    assert not request.sent_as_json
    assert request.form["blocks"] == json.dumps(blocks)
    assert request.params["blocks"] == blocks


def test_get_with_query_string_and_token_in_params_is_understood(
    slack_api: FakeSlackWebApi,
) -> None:
    answer = httpx.get(
        f"{slack_api.url}users.info", params={"user": "U0AGENT7", "token": BOT_TOKEN}
    )

    assert answer.status_code == 200
    assert answer.json()["user"]["id"] == "U0AGENT7"
    [request] = slack_api.requests("users.info")
    assert (request.http_method, request.query["user"], request.token) == (
        "GET",
        "U0AGENT7",
        BOT_TOKEN,
    )


def test_users_info_synthesizes_users_and_honours_overrides(
    slack_api: FakeSlackWebApi, slack_client: WebClient
) -> None:
    slack_api.set_user("U0AGENT7", real_name="李雷", tz="Europe/Berlin")

    agent = slack_client.users_info(user="U0AGENT7")["user"]
    other = slack_client.users_info(user="U0AGENT8")["user"]

    assert (agent["real_name"], agent["tz"]) == ("李雷", "Europe/Berlin")
    assert (other["id"], other["tz"]) == ("U0AGENT8", "Asia/Shanghai")
    with pytest.raises(SlackApiError, match="user_not_found"):
        slack_client.users_info(user="not-a-user")


def test_message_lifecycle_post_update_delete(
    slack_api: FakeSlackWebApi, slack_client: WebClient
) -> None:
    posted = slack_client.chat_postMessage(channel=CHANNEL_ID, text="swap pending")
    assert posted["message"]["bot_id"] == BOT_ID

    updated = slack_client.chat_update(channel=CHANNEL_ID, ts=posted["ts"], text="swap done")
    assert updated["message"]["text"] == "swap done"
    assert [m["text"] for m in slack_api.messages(CHANNEL_ID)] == ["swap done"]

    slack_client.chat_delete(channel=CHANNEL_ID, ts=posted["ts"])
    assert slack_api.messages() == []
    with pytest.raises(SlackApiError, match="message_not_found"):
        slack_client.chat_update(channel=CHANNEL_ID, ts=posted["ts"], text="again")


def test_posting_to_a_user_lands_in_their_dm(slack_client: WebClient) -> None:
    assert slack_client.chat_postMessage(channel="U0AGENT7", text="hi")["channel"] == "D0AGENT7"


@pytest.mark.parametrize(
    ("channel_settings", "error"),
    [({"is_member": False}, "not_in_channel"), ({"is_archived": True}, "is_archived")],
)
def test_channel_settings_make_posts_fail(
    slack_api: FakeSlackWebApi,
    slack_client: WebClient,
    channel_settings: dict[str, bool],
    error: str,
) -> None:
    slack_api.set_channel("C0AUDIT01", **channel_settings)

    with pytest.raises(SlackApiError, match=error):
        slack_client.chat_postMessage(channel="C0AUDIT01", text="audit")
    assert slack_client.conversations_info(channel="C0AUDIT01")["channel"]["name"] == "c0audit01"


def test_messages_need_text_and_valid_blocks(slack_client: WebClient) -> None:
    with pytest.raises(SlackApiError, match="no_text"):
        # api_call: chat_postMessage itself would warn about the missing text first.
        slack_client.api_call("chat.postMessage", json={"channel": CHANNEL_ID})

    too_many = [{"type": "divider"} for _ in range(51)]
    with pytest.raises(SlackApiError) as raised:
        slack_client.chat_postMessage(channel=CHANNEL_ID, text="x", blocks=too_many)
    assert raised.value.response["error"] == "invalid_blocks"
    assert raised.value.response["errors"] == ["must be less than 51 items [json-pointer:/blocks]"]


def test_ephemeral_messages_need_a_user(slack_client: WebClient) -> None:
    answer = slack_client.chat_postEphemeral(channel=CHANNEL_ID, user="U0ADMIN1", text="only you")
    assert answer["message_ts"]

    with pytest.raises(SlackApiError, match="user_not_found"):
        slack_client.api_call("chat.postEphemeral", json={"channel": CHANNEL_ID, "text": "x"})


def test_views_open_update_push_keep_ids_hashes_and_single_use_triggers(
    slack_api: FakeSlackWebApi, slack_client: WebClient
) -> None:
    trigger_id = new_trigger_id()
    opened = slack_client.views_open(trigger_id=trigger_id, view=_modal())["view"]
    assert opened["id"].startswith("V") and opened["hash"]
    assert opened["root_view_id"] == opened["id"]

    with pytest.raises(SlackApiError) as reused:
        slack_client.views_open(trigger_id=trigger_id, view=_modal())
    assert reused.value.response["error"] == "invalid_arguments"

    updated = slack_client.views_update(
        view_id=opened["id"], hash=opened["hash"], view=_modal(private_metadata="g=1")
    )["view"]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    assert slack_api.view(opened["id"])["private_metadata"] == "g=1"

    with pytest.raises(SlackApiError, match="hash_conflict"):
        slack_client.views_update(view_id=opened["id"], hash=opened["hash"], view=_modal())
    with pytest.raises(SlackApiError, match="not_found"):
        slack_client.views_update(view_id="V404", view=_modal())

    pushed = slack_client.views_push(trigger_id=new_trigger_id(), view=_modal("Confirm"))["view"]
    assert [v["id"] for v in slack_api.views()] == [opened["id"], pushed["id"]]


def test_modal_limits_are_enforced_with_slack_style_messages(slack_client: WebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        slack_client.views_open(trigger_id=new_trigger_id(), view=_modal("x" * 25))

    assert raised.value.response["error"] == "invalid_arguments"
    assert raised.value.response["response_metadata"]["messages"] == [
        "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"
    ]


def test_unknown_methods_are_refused(slack_client: WebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        slack_client.api_call("reactions.add", json={"name": "eyes"})
    assert raised.value.response["error"] == "unknown_method"


def test_fail_injects_errors_for_the_next_calls_only(
    slack_api: FakeSlackWebApi, slack_client: WebClient
) -> None:
    slack_api.fail("chat.postMessage", "channel_not_found", times=2)

    for _ in range(2):
        with pytest.raises(SlackApiError, match="channel_not_found"):
            slack_client.chat_postMessage(channel=CHANNEL_ID, text="audit")
    assert slack_client.chat_postMessage(channel=CHANNEL_ID, text="audit")["ok"] is True
    assert [r.response["ok"] for r in slack_api.requests("chat.postMessage")] == [
        False,
        False,
        True,
    ]


def test_rate_limit_answers_429_with_retry_after(
    slack_api: FakeSlackWebApi, slack_client: WebClient
) -> None:
    slack_api.rate_limit("chat.postMessage", times=1, retry_after=7)

    with pytest.raises(SlackApiError) as raised:
        slack_client.chat_postMessage(channel=CHANNEL_ID, text="hi")

    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "7"
    assert raised.value.response["error"] == "ratelimited"
    assert slack_client.chat_postMessage(channel=CHANNEL_ID, text="hi")["ok"] is True


def test_rate_limit_retry_handler_waits_retry_after_then_succeeds(
    slack_api: FakeSlackWebApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    requested_sleeps: list[float] = []
    # The handler calls time.sleep(Retry-After + jitter); record it instead of waiting.
    monkeypatch.setattr(builtin_handlers, "time", SimpleNamespace(sleep=requested_sleeps.append))
    client = WebClient(
        base_url=slack_api.url,
        token=BOT_TOKEN,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    slack_api.rate_limit("chat.postMessage", times=1, retry_after=3)

    assert client.chat_postMessage(channel=CHANNEL_ID, text="hi")["ok"] is True

    assert [r.status for r in slack_api.requests("chat.postMessage")] == [429, 200]
    [slept] = requested_sleeps
    assert 3 <= slept < 4


def test_response_urls_record_deliveries_and_allow_five_uses(slack_api: FakeSlackWebApi) -> None:
    webhook = WebhookClient(slack_api.response_url("who"))

    statuses = [webhook.send_dict({"text": f"reply {n}"}).status_code for n in range(6)]

    assert statuses == [200] * 5 + [404]
    assert slack_api.responses("who") == [{"text": f"reply {n}"} for n in range(5)]
    assert slack_api.response_posts("who")[-1].answer == "used_url"


def test_response_urls_reject_empty_messages_and_injected_failures(
    slack_api: FakeSlackWebApi,
) -> None:
    webhook = WebhookClient(slack_api.response_url("undo"))
    slack_api.fail_response_url("undo", status=404, body="expired_url")

    expired = webhook.send_dict({"text": "too late"})
    empty = webhook.send_dict({"text": ""})
    oversized = webhook.send_dict({"text": "x", "blocks": [{"type": "divider"}] * 51})
    deleted = webhook.send_dict({"delete_original": True})

    assert (expired.status_code, expired.body) == (404, "expired_url")
    assert (empty.status_code, empty.body) == (400, "no_text")
    assert (oversized.status_code, oversized.body) == (400, "invalid_blocks")
    assert (deleted.status_code, deleted.body) == (200, "ok")
    assert slack_api.responses("undo") == [{"delete_original": True}]


def test_response_urls_answer_429_with_retry_after_when_rate_limited(
    slack_api: FakeSlackWebApi,
) -> None:
    webhook = WebhookClient(slack_api.response_url("who"))
    slack_api.rate_limit_response_url("who", times=1, retry_after=2)

    limited = webhook.send_dict({"text": "too fast"})
    later = webhook.send_dict({"text": "later"})

    assert (limited.status_code, limited.body) == (429, "rate_limited")
    assert limited.headers["Retry-After"] == "2"
    assert later.status_code == 200
    assert [p.status for p in slack_api.response_posts("who")] == [429, 200]
    assert slack_api.responses("who") == [{"text": "later"}]


def test_wait_for_sees_calls_made_on_other_threads(
    slack_api: FakeSlackWebApi, slack_client: WebClient
) -> None:
    worker = threading.Thread(
        target=lambda: slack_client.chat_postMessage(channel=CHANNEL_ID, text="from a worker")
    )
    worker.start()

    [request] = slack_api.wait_for("chat.postMessage")
    worker.join()

    assert request.params["text"] == "from a worker"


def test_wait_for_times_out_naming_what_arrived(
    slack_api: FakeSlackWebApi, slack_client: WebClient
) -> None:
    slack_client.auth_test()

    with pytest.raises(TimeoutError, match=r"chat\.postMessage.*auth\.test"):
        slack_api.wait_for("chat.postMessage", timeout=0.05)
    with pytest.raises(TimeoutError, match="any response_url"):
        slack_api.wait_for_responses(timeout=0.05)


def test_clear_forgets_recordings(slack_api: FakeSlackWebApi, slack_client: WebClient) -> None:
    slack_client.auth_test()
    WebhookClient(slack_api.response_url()).send_dict({"text": "hi"})

    slack_api.clear()

    assert slack_api.requests() == [] and slack_api.responses() == []


def test_apps_connections_open_needs_an_attached_socket_server(slack_api: FakeSlackWebApi) -> None:
    client = WebClient(base_url=slack_api.url)

    with pytest.raises(SlackApiError, match=NO_SOCKET_MODE_SERVER):
        client.apps_connections_open(app_token=APP_TOKEN)


def test_stop_is_idempotent_and_releases_the_thread() -> None:
    fake = FakeSlackWebApi().start()
    thread_name = f"FakeSlackWebApi:{fake.port}"

    fake.stop()
    fake.stop()

    assert thread_name not in {thread.name for thread in threading.enumerate()}
    with pytest.raises(RuntimeError, match="not running"):
        _ = fake.url
