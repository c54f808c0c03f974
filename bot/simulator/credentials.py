"""The simulator's own vendor credentials: public on purpose, they open nothing real.

The 7moor account id is the one in the vendor's authorization document, so examples copied
from the document work against the simulator unchanged.
"""

from __future__ import annotations

from bot.settings import SevenMoorSettings, TencentSettings

SIM_SEVENMOOR_ACCOUNT_ID = "N00000000556"
SIM_SEVENMOOR_API_SECRET = "5f3c9a1e7b2d4c6e8a0f1b3d5c7e9a2b"

SIM_TENCENT_SDKAPPID = 88888888
SIM_TENCENT_SECRET_KEY = "9c1e5a7b3d2f4e6a8b0c1d3e5f7a9b2c4d6e8f0a1b3c5d7e9f2a4b6c8d0e1f3a"
SIM_TENCENT_ADMIN = "administrator"


def vendor_settings(url: str) -> tuple[SevenMoorSettings, TencentSettings]:
    """deskbot's settings for both vendors, pointed at a simulator serving at `url`."""
    return (
        SevenMoorSettings(
            host=url, account_id=SIM_SEVENMOOR_ACCOUNT_ID, api_secret=SIM_SEVENMOOR_API_SECRET
        ),
        TencentSettings(
            host=url,
            sdkappid=SIM_TENCENT_SDKAPPID,
            secret_key=SIM_TENCENT_SECRET_KEY,
            admin=SIM_TENCENT_ADMIN,
        ),
    )


def vendor_environment(url: str) -> dict[str, str]:
    """The same settings as the environment variables an operator would set."""
    return {
        "SEVENMOOR_HOST": url,
        "SEVENMOOR_ACCOUNT_ID": SIM_SEVENMOOR_ACCOUNT_ID,
        "SEVENMOOR_API_SECRET": SIM_SEVENMOOR_API_SECRET,
        "TENCENT_IM_HOST": url,
        "TENCENT_IM_SDKAPPID": str(SIM_TENCENT_SDKAPPID),
        "TENCENT_IM_SECRET_KEY": SIM_TENCENT_SECRET_KEY,
        "TENCENT_IM_ADMIN": SIM_TENCENT_ADMIN,
    }
