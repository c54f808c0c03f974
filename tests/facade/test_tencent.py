"""Tencent IM Desk through the facade: customer-service accounts and sends to ended chats."""

from __future__ import annotations

import pytest

from bot.desk import Desk
from bot.errors import NotFound
from bot.models import MessageTarget, TextMessage
from bot.simulator import ACTIVE_SESSION_ID, ENDED_SESSION_ID, Simulator
from bot.vendors.tencent import ERROR_CODES, msg_body, prepare_send
from tests.slack_fakes import ADMIN_USER_ID

AGENT_LIST = "get_im_agent_list_multilingual"
SEND_MSG = "send_msg"
ENDED_SENTENCE = ERROR_CODES[141005][1]


def test_im_agents_carry_their_languages_and_default_language(
    desk: Desk, simulator: Simulator
) -> None:
    agents = {agent.user_id: agent for agent in desk.im_agents().value}
    assert list(agents) == list(simulator.state.im_agents)

    shop = agents["@customer_service_account"]  # the vendor document's own example
    assert shop.nick == "衣服官方旗舰店" and shop.agent_group_id == 1234
    assert shop.chatbot_enabled and shop.robot_id == "@RBT#DeskDefaultRobot"
    assert [language.code for language in shop.languages] == ["zh", "en"]
    assert shop.default_language == "zh"
    zh, en = shop.languages
    assert zh.is_default and not en.is_default
    assert zh.welcome_message.startswith("欢迎咨询衣服官方旗舰店")
    assert (zh.assignment_strategy, zh.satisfaction_invitation, zh.work_time_type) == (1, 3, 0)

    global_support = agents["@customer_service_account_01"]
    assert [lang.code for lang in global_support.languages] == ["en", "ja", "ko"]
    assert global_support.default_language == "en" and not global_support.chatbot_enabled
    assert global_support.group_chat_mode == 1
    assert global_support.languages[0].work_time_type == 1

    assert agents["@cs_taiwan"].default_language == "zh-TW"
    assert agents["@cs_taiwan"].languages[0].work_time_type == 2


def test_one_im_agent_is_picked_from_the_shared_answer(desk: Desk, simulator: Simulator) -> None:
    [agent] = desk.im_agents("@cs_after_sales").value
    assert agent.nick == "售后服务中心" and agent.default_language == "zh"
    assert desk.im_agents("@nobody").value == []
    assert len(simulator.calls(AGENT_LIST)) == 1  # one cached list served all three


def test_sending_to_an_ended_session_is_not_found_with_its_sentence(
    desk: Desk, simulator: Simulator
) -> None:
    assert desk.tencent is not None
    prepared = prepare_send(
        MessageTarget(session_id=ENDED_SESSION_ID), msg_body(TextMessage("Hello again")), 4242
    )
    with pytest.raises(NotFound) as raised:
        desk.tencent.send(prepared)
    assert raised.value.code == 141005 and raised.value.sentence == ENDED_SENTENCE
    assert raised.value.next_step.startswith("Nothing was sent.")
    assert [call.code for call in simulator.calls(SEND_MSG)] == [141005]  # not retried
    assert simulator.sent_messages() == []


def test_the_facade_reports_the_ended_session_and_sends_nothing(
    desk: Desk, simulator: Simulator
) -> None:
    values = {"ticket": "T-20240611-0042", "eta": "within 2 hours"}
    ended = desk.preview_message(
        ADMIN_USER_ID, MessageTarget(session_id=ENDED_SESSION_ID), "looking_into_it", values
    )
    result = desk.send_preview(ADMIN_USER_ID, ended.id)
    assert result.status == "failed" and not result.delivered
    assert result.sentence == ENDED_SENTENCE
    assert simulator.sent_messages() == []

    active = desk.preview_message(
        ADMIN_USER_ID, MessageTarget(session_id=ACTIVE_SESSION_ID), "looking_into_it", values
    )
    assert desk.send_preview(ADMIN_USER_ID, active.id).delivered
    [message] = simulator.sent_messages()
    assert message.session_id == ACTIVE_SESSION_ID and "T-20240611-0042" in str(message.msg_body)
