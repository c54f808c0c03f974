"""Makes the shared Slack fixtures available to the fakes' own self-tests."""

from tests.slack_fakes.fixtures import slack_api, slack_client, socket_mode_server

__all__ = ["slack_api", "slack_client", "socket_mode_server"]
