"""`deskbot`: run, simulate, demo, check. Thin: every real piece lives elsewhere in `bot`."""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

from bot.settings import Settings, SettingsError

logger = logging.getLogger("deskbot")
DEFAULT_HTTP_PORT = 3000
DEFAULT_SIMULATOR_PORT = 8088
CONNECTION_LIMIT = 1000
EXIT_FAILED = 1
EXIT_CONFIG = 2


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SettingsError as error:
        print(f"deskbot: {error}", file=sys.stderr)
        print(
            "Set it in the environment or in .env (see .env.example), then try again.",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deskbot", description="Slack /desk for contact-center supervisors."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the bot (Socket Mode; --http for HTTP mode)")
    run.add_argument(
        "--http", action="store_true", help="serve POST /slack/events instead of Socket Mode"
    )
    run.add_argument(
        "--host", default="0.0.0.0", help="HTTP mode: address to listen on (default 0.0.0.0)"
    )
    run.add_argument(
        "--port",
        type=int,
        default=DEFAULT_HTTP_PORT,
        help=f"HTTP mode: port (default {DEFAULT_HTTP_PORT})",
    )
    run.add_argument(
        "--threads", type=int, default=16, help="HTTP mode: worker threads (default 16)"
    )
    run.set_defaults(func=_run)

    simulate = commands.add_parser(
        "simulate", help="serve the built-in simulator of both vendor APIs"
    )
    simulate.add_argument("--host", default="127.0.0.1")
    simulate.add_argument("--port", type=int, default=DEFAULT_SIMULATOR_PORT)
    simulate.set_defaults(func=_simulate)

    demo = commands.add_parser(
        "demo", help="the main flows against the simulator, printed as Slack would show them"
    )
    demo.set_defaults(func=_demo)

    check = commands.add_parser(
        "check", help="check every setting, Slack and each configured vendor"
    )
    check.set_defaults(func=_check)
    return parser


def _run(args: argparse.Namespace) -> int:
    from bot.app import create_app
    from bot.logs import configure_logging, secrets_of

    settings = Settings.from_env()
    settings.require_slack(socket_mode=not args.http)
    configure_logging(secrets_of(settings))
    from slack_bolt.error import BoltError
    from slack_sdk.errors import SlackApiError

    from bot.state import StateError

    try:
        app = create_app(settings, socket_mode=not args.http)  # Bolt calls auth.test here
    except StateError as error:  # its sentence names DESK_STATE_PATH
        print(f"deskbot: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except BoltError as error:
        return _slack_refused("SLACK_BOT_TOKEN", _slack_error_code(str(error)))
    except OSError as error:
        return _slack_unreachable(settings.slack_api_url, error)
    if args.http:
        try:
            serve_http(app, host=args.host, port=args.port, threads=args.threads)
        except OSError as error:
            return _cannot_listen(args.host, args.port, error)
        return 0
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    logger.info("deskbot is connecting to Slack in Socket Mode")
    try:
        SocketModeHandler(app, settings.slack_app_token).start()
    except SlackApiError as error:
        return _slack_refused("SLACK_APP_TOKEN", str(error.response.get("error")))
    except OSError as error:
        return _slack_unreachable(settings.slack_api_url, error)
    return 0


def _slack_error_code(message: str) -> str:
    """Slack's error code out of Bolt's "`token` is invalid (auth.test result: {...})"."""
    match = re.search(r"'error': '([^']+)'", message)
    return match.group(1) if match else message


def _slack_refused(variable: str, code: str) -> int:
    print(f"deskbot: Slack refused {variable} ({code}).", file=sys.stderr)
    print(
        f"Copy {variable} again from your Slack app's settings (reinstall the app if it was "
        "rotated); `deskbot check` tests every setting.",
        file=sys.stderr,
    )
    return EXIT_FAILED


def _slack_unreachable(api_url: str, error: OSError) -> int:
    print(f"deskbot: could not reach Slack at {api_url} ({error}).", file=sys.stderr)
    print("Check the network and SLACK_API_URL, then try again.", file=sys.stderr)
    return EXIT_FAILED


def _cannot_listen(host: str, port: int, error: OSError) -> int:
    print(f"deskbot: cannot listen on {host}:{port} ({error.strerror or error}).", file=sys.stderr)
    print("Is something else using that port? Choose another with --port.", file=sys.stderr)
    return EXIT_FAILED


def wsgi_app(app: Any) -> Callable[..., Any]:
    """Slack at POST /slack/events (Bolt's WSGI adapter), GET /healthz for load balancers."""
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    slack = SlackRequestHandler(app, path="/slack/events")

    def route(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok\n"]
        return slack(environ, start_response)

    return route


def serve_http(app: Any, *, host: str, port: int, threads: int) -> None:
    import waitress

    logger.info("deskbot is listening for Slack on http://%s:%d/slack/events", host, port)
    waitress.serve(
        wsgi_app(app),
        host=host,
        port=port,
        threads=threads,
        # waitress's default of 100 open connections stops accepting under a burst of
        # supervisors behind a load balancer; sockets are cheap, threads are the real limit.
        connection_limit=CONNECTION_LIMIT,
        ident="deskbot",
    )


def _simulate(args: argparse.Namespace) -> int:
    from bot.simulator import Simulator, vendor_environment

    def announce(url: str) -> None:
        """Printed once the port is bound, so a script can wait for this line (--port 0 works)."""
        print(f"Simulating 7moor and Tencent IM Desk at {url} (Ctrl-C stops).")
        print(
            "Point deskbot at it with these settings (the simulator's own built-in demo credentials;"
        )
        print("they open nothing but this local simulator):")
        for name, value in vendor_environment(url).items():
            print(f"  {name}={value}")
        sys.stdout.flush()

    try:
        Simulator().serve_forever(args.host, args.port, on_ready=announce)
    except OSError as error:
        return _cannot_listen(args.host, args.port, error)
    return 0


def _demo(_args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return run_demo()


def _check(_args: argparse.Namespace) -> int:
    from bot.doctor import run_checks

    return run_checks(Settings.from_env())
