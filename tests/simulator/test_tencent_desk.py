"""Tencent IM Desk commands: IM agent list, send_msg (validation, delivery, de-duplication),
get_session_state."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.simulator import ACTIVE_SESSION_ID, ENDED_SESSION_ID, Simulator
from tests.simulator.conftest import Tencent

LIST = "get_im_agent_list_multilingual"
TEXT = [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "欢迎使用智能客服,很高兴为您服务!"}}]
CARD_DATA = json.dumps(
    {
        "src": "22",
        "content": {
            "header": "卡片标题",
            "desc": "卡片描述",
            "pic": "https://static.cloudcachetci.com/qcloud/portal/kit/images/presale.a4955999.jpeg",
            "url": "https://www.qcloud.com/",
        },
        "customerServicePlugin": 0,
    },
    ensure_ascii=False,
)
OK = {"ActionStatus": "OK", "ErrorInfo": "", "ErrorCode": 0}


def _send(tencent: Tencent, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"SessionId": ACTIVE_SESSION_ID, "MsgRandom": 8436874, "MsgBody": TEXT}
    body.update(fields)
    return tencent.call("send_msg", {k: v for k, v in body.items() if v is not None})


def test_agent_list_returns_every_im_agent(sim: Simulator, tencent: Tencent) -> None:
    answer = tencent.call(LIST, {})
    assert (answer["ActionStatus"], answer["ErrorCode"], answer["ErrorInfo"]) == ("OK", 0, "")
    ids = [agent["IMAgentUserID"] for agent in answer["Data"]]
    assert ids == list(sim.state.im_agents)
    assert ids[0] == "@customer_service_account"
    assert len(ids) >= 3


def test_documents_im_agent_has_the_documented_shape(tencent: Tencent) -> None:
    agent = tencent.call(LIST, {"IMAgentUserIDList": ["@customer_service_account"]})["Data"][0]
    assert agent["IMAgentNick"] == "衣服官方旗舰店"
    assert agent["ChatbotDisabled"] == 0
    assert agent["AgentGroupId"] == 1234
    assert agent["RobotId"] == "@RBT#DeskDefaultRobot"
    assert agent["GroupChatMode"] == 0
    zh, en = agent["MultilingualSettings"]["zh"], agent["MultilingualSettings"]["en"]
    assert (zh["IsDefault"], en["IsDefault"]) == (1, 0)
    assert zh["WorkTimeConfig"] == {"Type": 0}
    assert zh["AssignmentStrategy"] == 1
    assert zh["DisplayGroupsChoices"] == [1, 2, 3]
    assert zh["Satisfaction"]["InvitationMethod"] == 3
    assert zh["Satisfaction"]["SatisfactionContent"]["SubmissionValidityPeriod"] == 12
    assert en["WelcomeMessage"] == "Welcome! How can we help you?"


def test_seeded_im_agents_cover_languages_and_modes(tencent: Tencent) -> None:
    agents = tencent.call(LIST, {})["Data"]
    languages = {code for agent in agents for code in agent["MultilingualSettings"]}
    assert {"zh", "en", "ja", "ko", "zh-TW"} <= languages
    assert {agent["GroupChatMode"] for agent in agents} == {0, 1, 2}
    assert {agent["ChatbotDisabled"] for agent in agents} == {0, 1}
    work_types = {
        lang["WorkTimeConfig"]["Type"]
        for agent in agents
        for lang in agent["MultilingualSettings"].values()
    }
    assert work_types == {0, 1, 2}
    for agent in agents:
        defaults = [lang for lang in agent["MultilingualSettings"].values() if lang["IsDefault"]]
        assert len(defaults) == 1


def test_agent_list_by_ids_skips_unknown_ones(tencent: Tencent) -> None:
    body = {"IMAgentUserIDList": ["@cs_taiwan", "@nobody", "@customer_service_account_01"]}
    ids = [agent["IMAgentUserID"] for agent in tencent.call(LIST, body)["Data"]]
    assert ids == ["@cs_taiwan", "@customer_service_account_01"]


def test_agent_list_with_a_bad_id_list_is_141004(tencent: Tencent) -> None:
    assert tencent.call(LIST, {"IMAgentUserIDList": "@cs_taiwan"})["ErrorCode"] == 141004
    assert tencent.call(LIST, {"IMAgentUserIDList": [1]})["ErrorCode"] == 141004


def test_send_by_session_is_delivered(sim: Simulator, tencent: Tencent) -> None:
    assert _send(tencent, CloudCustomData="your cloud custom data") == OK
    [message] = sim.sent_messages()
    assert message.session_id == ACTIVE_SESSION_ID
    assert (message.from_account, message.to_account) == ("@customer_service_account", "user45")
    assert message.msg_random == 8436874
    assert message.msg_body == TEXT
    assert message.cloud_custom_data == "your cloud custom data"
    assert message.time == tencent.clock.time()


def test_send_by_accounts_is_delivered(sim: Simulator, tencent: Tencent) -> None:
    body = {
        "FromAccount": "@customer_service_account",
        "ToAccount": "user45",
        "MsgRandom": 82139,
        "MsgBody": [{"MsgType": "TIMCustomElem", "MsgContent": {"Data": CARD_DATA}}],
    }
    assert tencent.call("send_msg", body) == OK
    [message] = sim.sent_messages()
    assert message.session_id is None
    assert (message.from_account, message.to_account) == ("@customer_service_account", "user45")
    assert json.loads(message.msg_body[0]["MsgContent"]["Data"])["src"] == "22"


def test_from_account_must_be_an_im_agent(sim: Simulator, tencent: Tencent) -> None:
    body = {"FromAccount": "user46", "ToAccount": "user45", "MsgRandom": 1, "MsgBody": TEXT}
    assert tencent.call("send_msg", body)["ErrorCode"] == 141004
    assert sim.sent_messages() == []


@pytest.mark.parametrize(
    "target",
    [
        {"FromAccount": "@customer_service_account"},
        {"ToAccount": "user45"},
        {},
        {"SessionId": 42},
    ],
)
def test_send_needs_a_session_or_both_accounts(tencent: Tencent, target: dict[str, Any]) -> None:
    body = {"MsgRandom": 1, "MsgBody": TEXT, **target}
    assert tencent.call("send_msg", body)["ErrorCode"] == 141004


@pytest.mark.parametrize("msg_random", [None, "8436874", -1, 4294967296, 1.5, True])
def test_msg_random_must_be_a_32_bit_unsigned_integer(tencent: Tencent, msg_random: Any) -> None:
    body: dict[str, Any] = {"SessionId": ACTIVE_SESSION_ID, "MsgBody": TEXT}
    if msg_random is not None:
        body["MsgRandom"] = msg_random
    answer = tencent.call("send_msg", body)
    assert (answer["ActionStatus"], answer["ErrorCode"]) == ("FAIL", 90005)


def test_msg_random_bounds_are_accepted(tencent: Tencent) -> None:
    assert _send(tencent, MsgRandom=0)["ErrorCode"] == 0
    assert _send(tencent, MsgRandom=4294967295)["ErrorCode"] == 0


@pytest.mark.parametrize("msg_body", [None, TEXT[0], "hello"])
def test_msg_body_must_be_an_array(tencent: Tencent, msg_body: Any) -> None:
    body: dict[str, Any] = {"SessionId": ACTIVE_SESSION_ID, "MsgRandom": 1}
    if msg_body is not None:
        body["MsgBody"] = msg_body
    assert tencent.call("send_msg", body)["ErrorCode"] == 90007


@pytest.mark.parametrize(
    "msg_body",
    [
        [],
        [{"MsgType": "TIMImageElem", "MsgContent": {"UUID": "x"}}],
        [{"MsgType": "TIMTextElem", "MsgContent": {}}],
        [{"MsgType": "TIMTextElem", "MsgContent": "hi"}],
        [{"MsgType": "TIMCustomElem", "MsgContent": {"Data": "{not json"}}],
        [{"MsgType": "TIMCustomElem", "MsgContent": {"Data": {"src": "22"}}}],
        ["hello"],
    ],
)
def test_bad_message_elements_are_141004(
    sim: Simulator, tencent: Tencent, msg_body: list[Any]
) -> None:
    assert _send(tencent, MsgBody=msg_body)["ErrorCode"] == 141004
    assert sim.sent_messages() == []


def test_body_over_12_kb_is_93000(sim: Simulator, tencent: Tencent) -> None:
    text = "x" * 12_200
    big = [{"MsgType": "TIMTextElem", "MsgContent": {"Text": text}}]
    assert _send(tencent, MsgBody=big)["ErrorCode"] == 93000
    fits = [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x" * 12_100}}]
    assert _send(tencent, MsgBody=fits)["ErrorCode"] == 0
    assert len(sim.sent_messages()) == 1


def test_send_msg_parse_error_is_90001(tencent: Tencent) -> None:
    for content in (b"", b"{oops", b"[]"):
        assert tencent.call("send_msg", content=content)["ErrorCode"] == 90001


def test_unknown_or_ended_session_is_141005(sim: Simulator, tencent: Tencent) -> None:
    assert _send(tencent, SessionId="00000000-0000-0000-0000-000000000000")["ErrorCode"] == 141005
    assert _send(tencent, SessionId=ENDED_SESSION_ID)["ErrorCode"] == 141005
    sim.state.end_session(ACTIVE_SESSION_ID)
    assert _send(tencent)["ErrorCode"] == 141005
    assert sim.sent_messages() == []


def test_repeat_within_a_second_is_acknowledged_but_not_delivered(
    sim: Simulator, tencent: Tencent
) -> None:
    assert _send(tencent) == OK
    tencent.clock.advance(0.9)
    assert _send(tencent) == OK
    assert len(sim.sent_messages()) == 1
    tencent.clock.advance(0.1)  # a full second after the first delivery
    assert _send(tencent) == OK
    assert len(sim.sent_messages()) == 2


def test_dedup_needs_the_same_target_and_msg_random(sim: Simulator, tencent: Tencent) -> None:
    _send(tencent)
    _send(tencent, MsgRandom=8436875)
    _send(tencent, SessionId="c2d8f4a6-7b19-4e3c-a5f0-1d6b8e9c3a72")
    accounts = {"FromAccount": "@customer_service_account", "ToAccount": "user45"}
    tencent.call("send_msg", {**accounts, "MsgRandom": 8436874, "MsgBody": TEXT})
    tencent.call("send_msg", {**accounts, "MsgRandom": 8436874, "MsgBody": TEXT})
    assert len(sim.sent_messages()) == 4


def test_session_state_of_the_documents_session(tencent: Tencent) -> None:
    answer = tencent.call("get_session_state", {"SessionId": ACTIVE_SESSION_ID})
    assert answer == {**OK, "CurrentState": "Agent", "AgentId": "zhangwei@deskdemo.cn"}


def test_session_states_follow_the_world(sim: Simulator, tencent: Tencent) -> None:
    states = {
        session_id: tencent.call("get_session_state", {"SessionId": session_id})["CurrentState"]
        for session_id in sim.state.sessions
    }
    assert set(states.values()) == {
        "Agent",
        "Chatbot",
        "Queueing",
        "WaitingForAgentAnswering",
        "NotInSession",
    }
    assert states[ENDED_SESSION_ID] == "NotInSession"
    sim.state.set_session_state(ACTIVE_SESSION_ID, "Queueing")
    answer = tencent.call("get_session_state", {"SessionId": ACTIVE_SESSION_ID})
    assert (answer["CurrentState"], answer["AgentId"]) == ("Queueing", "")


def test_session_state_of_unknown_session_is_141005(tencent: Tencent) -> None:
    answer = tencent.call("get_session_state", {"SessionId": "nope"})
    assert (answer["ActionStatus"], answer["ErrorCode"]) == ("FAIL", 141005)
    assert tencent.call("get_session_state", {})["ErrorCode"] == 141004


def test_calls_record_tencent_outcomes(sim: Simulator, tencent: Tencent) -> None:
    _send(tencent)
    _send(tencent, MsgRandom="x")
    first, second = sim.calls("send_msg")
    assert (first.vendor, first.status, first.code, first.accepted) == ("tencent", 200, 0, True)
    assert second.code == 90005
    assert first.body["SessionId"] == ACTIVE_SESSION_ID
    assert first.query["identifier"] == "administrator"
