"""deskbot: a Slack /desk for contact-center supervisors."""

__version__ = "0.1.0"
