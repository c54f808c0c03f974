"""`deskbot demo`: the bot's main flows against the built-in simulator, no credentials.

The real app is built exactly as in production; only the URLs differ: the vendors are the
simulator, Slack is a small stand-in on loopback. Each step sends a genuinely signed Slack
request through the app and prints what Slack would show the person.
"""

from __future__ import annotations

import itertools
import json
import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_bolt import App, BoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.app import create_app
from bot.demo.standin import SlackStandIn
from bot.demo.terminal import render_message, render_modal
from bot.settings import Settings
from bot.simulator import Simulator, vendor_settings
from handlers.commands.desk import answer_in_ack

SIGNING_SECRET = "demo-signing-secret"
ADMIN, SUPERVISOR = "U0DEMOLIN", "U0DEMOMEI"
PEOPLE = {ADMIN: "lin (admin)", SUPERVISOR: "mei", "U0DESKBOT": "deskbot"}
VIEW_METHODS = ("views.open", "views.update")
ACTIVE_SESSION = "fd8a2e30-54de-4e40-bcaf-02718409c5cf"
ENDED_SESSION = "0b6e3f9a-2d5c-4a81-b7e4-c9f1a8d2e560"


class DemoSlack:
    """Plays the Slack side: types commands, clicks buttons, submits modals."""

    def __init__(self, app: App, slack: SlackStandIn, out: Callable[[str], None]) -> None:
        self._app, self._slack, self._out = app, slack, out
        self._ids = itertools.count(1)
        self.last: dict[str, Any] = {}
        self._last_command, self._shown = "", 0

    def command(self, user: str, text: str) -> dict[str, Any]:
        self._out(f"\n$ /desk {text}        ← typed by @{PEOPLE[user]}")
        name = f"r{next(self._ids)}"
        body = urlencode(
            {
                "command": "/desk",
                "text": text,
                "user_id": user,
                "user_name": PEOPLE[user],
                "channel_id": "C0DEMODESK",
                "team_id": "T0DEMO",
                "trigger_id": f"trigger.{name}",
                "response_url": self._slack.response_url(name),
            }
        )
        return self._run(body, name)

    def click(
        self, user: str, action_id: str, message: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Press a button of `message` (default: the latest answer)."""
        button = next(
            e
            for b in (message or self.last).get("blocks", [])
            if b.get("type") == "actions"
            for e in b["elements"]
            if e["action_id"] == action_id
        )
        self._out(f"\n  ↳ @{PEOPLE[user]} clicks [ {button['text']['text']} ]")
        name = f"a{next(self._ids)}"
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": PEOPLE[user]},
            "team": {"id": "T0DEMO"},
            "channel": {"id": "C0DEMODESK"},
            "container": {"type": "message"},
            "trigger_id": f"trigger.{name}",
            "response_url": self._slack.response_url(name),
            "api_app_id": "A0DEMO",
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "b",
                    "value": button["value"],
                    "action_ts": "1",
                }
            ],
        }
        return self._run(urlencode({"payload": json.dumps(payload)}), name)

    def submit(
        self, user: str, view: dict[str, Any], values: dict[str, dict[str, Any]]
    ) -> dict[str, Any]:
        self._out(f"\n  ↳ @{PEOPLE[user]} presses [ {view['submit']['text']} ]")
        payload = {
            "type": "view_submission",
            "user": {"id": user, "username": PEOPLE[user]},
            "team": {"id": "T0DEMO"},
            "api_app_id": "A0DEMO",
            "trigger_id": "trigger.view",
            "view": {**view, "state": {"values": values}},
        }
        response = self._dispatch(urlencode({"payload": json.dumps(payload)}))
        answer = json.loads(response.body or "{}")
        if answer.get("response_action") == "update":
            self._out(render_modal(answer["view"], PEOPLE))
        elif answer.get("response_action") == "errors":
            self._out(f"  The form says: {answer['errors']}")
        return answer

    def opened_view(
        self, before: int, ready: Callable[[dict[str, Any]], bool] = lambda _view: True
    ) -> dict[str, Any]:
        """The newest modal the bot showed (views.open/update) after `before` posts, once
        `ready(view)` holds: the bot posts to chat and to the audit channel too, in its own order."""

        def newest_view(posts: list[tuple[str, dict[str, Any]]]) -> dict[str, Any] | None:
            views = [p["view"] for where, p in posts[before:] if where in VIEW_METHODS]
            if not views:
                return None
            view = json.loads(views[-1]) if isinstance(views[-1], str) else views[-1]
            return view if ready(view) else None

        view = newest_view(self._slack.wait_until(lambda posts: newest_view(posts) is not None))
        if view is None:
            raise TimeoutError("the bot did not show the expected modal")
        return view

    def later_answer(self) -> None:
        """Print what the bot posted to the last command's response_url after its first answer
        (a modal's outcome also goes to the channel the command was typed in)."""
        name, shown = self._last_command, self._shown

        def arrived(posts: list[tuple[str, dict[str, Any]]]) -> bool:
            return sum(where == name for where, _ in posts) > shown

        answers = [p for where, p in self._slack.wait_until(arrived) if where == name]
        for answer in answers[shown:]:
            self._out(render_message(answer, PEOPLE))
        self._shown = len(answers)

    def posts(self) -> int:
        return len(self._slack.posts)

    def audit_posts(self) -> list[dict[str, Any]]:
        return [p for where, p in self._slack.posts if where == "chat.postMessage"]

    def _run(self, body: str, name: str) -> dict[str, Any]:
        response = self._dispatch(body)
        if response.status != 200:
            self._out(f"  Slack got HTTP {response.status}")
            return {}
        in_ack = answer_in_ack(response.body or "")
        answers = [in_ack] if in_ack else self._slack.wait_for(name)
        for answer in answers:
            self._out(render_message(answer, PEOPLE))
        self._last_command, self._shown = name, 0 if in_ack else len(answers)
        self.last = answers[-1] if answers else {}
        if isinstance(self.last.get("blocks"), str):
            self.last["blocks"] = json.loads(self.last["blocks"])
        return self.last

    def _dispatch(self, body: str) -> Any:
        timestamp = str(int(time.time()))
        signature = SignatureVerifier(SIGNING_SECRET).generate_signature(
            timestamp=timestamp, body=body
        )
        headers = {
            "content-type": ["application/x-www-form-urlencoded"],
            "x-slack-request-timestamp": [timestamp],
            "x-slack-signature": [signature],
        }
        return self._app.dispatch(BoltRequest(body=body, headers=headers))


def demo_settings(simulator_url: str, slack_url: str, state_path: Path) -> Settings:
    sevenmoor, tencent = vendor_settings(simulator_url)
    return Settings(
        slack_bot_token="xoxb-demo-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_url,
        sevenmoor=sevenmoor,
        tencent=tencent,
        admins=frozenset({ADMIN}),
        audit_channel="C0DEMOAUDIT",
        agent_map={ADMIN: "8010"},
        state_path=state_path,
    )


def run_demo(out: Callable[[str], None] = print) -> int:
    # The bot logs vendor refusals as warnings for operators; the demo shows what people see.
    logging.getLogger().setLevel(logging.ERROR)
    with Simulator() as simulator, SlackStandIn() as slack, tempfile.TemporaryDirectory() as folder:
        settings = demo_settings(simulator.url, slack.url, Path(folder) / "demo.sqlite3")
        app = create_app(settings)
        play(DemoSlack(app, slack, out), simulator, out)
    return 0


def play(slack: DemoSlack, simulator: Simulator, out: Callable[[str], None]) -> None:
    out(
        "deskbot demo: the real bot, the built-in 7moor + Tencent IM simulator, and a stand-in Slack."
    )
    out(
        "@mei is a supervisor; @lin is a deskbot admin (DESK_ADMINS) mapped to agent 8010 (DESK_AGENT_MAP)."
    )

    out("\n━━ 1. Everyone can look ━━")
    slack.command(SUPERVISOR, "help")
    slack.command(SUPERVISOR, "groups Night")
    slack.command(SUPERVISOR, "who 售前咨询")
    slack.command(SUPERVISOR, "who “Night Shift”")
    slack.command(SUPERVISOR, "who 阿瓦达哇多23")
    slack.command(SUPERVISOR, "who 10019351")
    slack.command(SUPERVISOR, "agents @customer_service_account")
    slack.command(SUPERVISOR, "templates")

    out("\n━━ 2. Changes: admins only, verified by reading back, undoable ━━")
    slack.command(SUPERVISOR, 'add "Night Shift" 8000')
    slack.command(ADMIN, 'add "Night Shift" 8000 1')
    slack.click(ADMIN, "undo_change_id")
    slack.command(ADMIN, 'add "Night Shift" 9999')
    slack.command(ADMIN, "swap 售前咨询 8005 me")

    out("\n━━ 3. Editing a whole list in a form ━━")
    before = slack.posts()
    slack.command(ADMIN, 'members "Night Shift"')
    form = slack.opened_view(before, ready=_has_input)
    out(render_modal(form, PEOPLE))
    text = form["blocks"][1]["element"]["initial_value"] + "\n8021 2"
    confirm = slack.submit(
        ADMIN,
        form,
        {"members_block_id": {"members_input_id": {"type": "plain_text_input", "value": text}}},
    )
    before = slack.posts()
    slack.submit(ADMIN, {**confirm["view"], "id": form["id"]}, {})
    out(render_modal(slack.opened_view(before), PEOPLE))
    slack.later_answer()

    out("\n━━ 4. A quick ping into a customer's chat: preview, then exactly once ━━")
    preview = slack.command(
        ADMIN,
        f'send {ACTIVE_SESSION} follow_up customer_name="Ms. Li" topic="your refund for order 1024" lang=en',
    )
    slack.click(ADMIN, "send_message_id", preview)
    out("\n  (A double click, or Slack delivering the click twice:)")
    slack.click(ADMIN, "send_message_id", preview)
    delivered = [
        m for m in simulator.sent_messages() if ACTIVE_SESSION in json.dumps(m, default=str)
    ]
    out(
        f"\n  (The simulator's chat session {ACTIVE_SESSION[:8]}… received {len(delivered)} message(s).)"
    )
    slack.command(ADMIN, f"send {ENDED_SESSION} looking_into_it ticket=T-2048 eta=“within 2 hours”")
    slack.click(ADMIN, "send_message_id")

    out("\n━━ 5. The record ━━")
    slack.command(SUPERVISOR, 'log "Night Shift"')
    out(
        f"\n  ({len(slack.audit_posts())} audit post(s) went to the audit channel, one per change or send.)"
    )
    out("\nThat was the demo. Next: `make test`, then see README.md to connect your own Slack app.")


def _has_input(view: dict[str, Any]) -> bool:
    """The member form itself, not the loading view opened before it."""
    return any(block.get("type") == "input" for block in view.get("blocks", []))
