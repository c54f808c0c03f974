"""The built-in vendor simulator: 7moor skill groups and Tencent IM Desk on one loopback port.

It is both `deskbot simulate` / `deskbot demo` and the fake every test talks to, so it
behaves as the vendor documents and api-docs/NOTES.md say, quirks included:

    with Simulator(clock=FakeClock()) as sim:
        httpx.post(f"{sim.url}/v20210827/webChat/queueQueue/{SIM_SEVENMOOR_ACCOUNT_ID}?sig=…")
        sim.faults.set(endpoint="queueQueue", outage="503", times=1)
        sim.calls("queueQueue"), sim.peak_per_minute("queueQueue"), sim.sent_messages()

Modules: `seed` (the data), `world` (the mutable state), `sevenmoor` and `tencent` (the
vendors), `signatures`, `limits`, `faults`, `recorder`, `control` (/_simulator/...),
`server` (HTTP plumbing), `simulator` (the facade).
"""

from bot.simulator.credentials import (
    SIM_SEVENMOOR_ACCOUNT_ID,
    SIM_SEVENMOOR_API_SECRET,
    SIM_TENCENT_ADMIN,
    SIM_TENCENT_SDKAPPID,
    SIM_TENCENT_SECRET_KEY,
    vendor_environment,
    vendor_settings,
)
from bot.simulator.faults import FaultError, Faults, FaultSwitches
from bot.simulator.recorder import Call
from bot.simulator.seed import ACTIVE_SESSION_ID, ENDED_SESSION_ID
from bot.simulator.simulator import DEFAULT_PORT, Simulator
from bot.simulator.world import Agent, GroupMember, ImAgent, SentMessage, Session, SkillGroup, World

__all__ = [
    "ACTIVE_SESSION_ID",
    "DEFAULT_PORT",
    "ENDED_SESSION_ID",
    "SIM_SEVENMOOR_ACCOUNT_ID",
    "SIM_SEVENMOOR_API_SECRET",
    "SIM_TENCENT_ADMIN",
    "SIM_TENCENT_SDKAPPID",
    "SIM_TENCENT_SECRET_KEY",
    "Agent",
    "Call",
    "FaultError",
    "FaultSwitches",
    "Faults",
    "GroupMember",
    "ImAgent",
    "SentMessage",
    "Session",
    "Simulator",
    "SkillGroup",
    "World",
    "vendor_environment",
    "vendor_settings",
]
