"""The ratio benchmark's yardstick: a Bolt app that only acks `/desk`.

Served exactly as `deskbot run --http` serves deskbot (`bot.cli.serve_http`: waitress, the
same routes and thread count, the same logging), verifying the same signatures and built the
same way (a WebClient with the bot token, checked with auth.test at start), so the only
difference measured is what deskbot does per command.

    SLACK_SIGNING_SECRET=… SLACK_BOT_TOKEN=xoxb-… SLACK_API_URL=… \
        python -m bench.bare_app --port 3001 [--host H] [--threads 16]
"""

from __future__ import annotations

import argparse
import contextlib
import sys

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.cli import serve_http
from bot.logs import configure_logging, secrets_of
from bot.settings import Settings


def bare_app(settings: Settings) -> App:
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    app = App(client=client, signing_secret=settings.slack_signing_secret or "")

    @app.command("/desk")
    def ack_only(ack: Ack) -> None:
        ack()

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    settings.require_slack(socket_mode=False)
    configure_logging(secrets_of(settings))
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C (SIGINT) is how it is stopped
        serve_http(bare_app(settings), host=args.host, port=args.port, threads=args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
