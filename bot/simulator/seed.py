"""The seed world: realistic, deterministic data built from the vendor documents' examples.

Everything a demo or a test leans on lives here and nowhere else:
- the documents' own records: the two skill groups named "阿瓦达哇多23" (10018590, 10018587),
  group "30003" (10019345) with agent 30003, the addQueue example's group (10018578), the IM
  agent "@customer_service_account" and session "fd8a2e30-54de-4e40-bcaf-02718409c5cf";
- more than one page (10) of groups, with every assign rule, memory on and off, names with
  spaces, Slack-special characters (`<!channel>`, `&`), Chinese names, an empty group, a group
  of more than ten members and a group in which nobody claims;
- 30 agents covering every PC/APP claim combination. Agent numbers "9999" and "7777" are
  deliberately absent: tests use them as agents that do not exist.
"""

from __future__ import annotations

import copy
from typing import Any

from bot.clock import Clock
from bot.simulator.world import (
    Agent,
    GroupMember,
    ImAgent,
    Session,
    SessionState,
    SkillGroup,
    World,
)

# number, name, phone, PC claim, APP claim
_AGENTS: tuple[tuple[str, str, str, bool, bool], ...] = (
    ("8000", "张伟", "13812345670", True, True),
    ("8001", "王芳", "13923456781", True, False),
    ("8002", "李娜", "15034567892", False, True),
    ("8003", "刘洋", "15145678903", False, False),
    ("8004", "陈静", "18656789014", True, True),
    ("8005", "杨磊", "17767890125", True, False),
    ("8006", "赵敏", "19978901236", False, True),
    ("8007", "黄婷", "13689012347", True, True),
    ("8008", "周杰", "13790123458", False, True),
    ("8009", "吴昊", "15801234569", True, False),
    ("8010", "徐丽", "15912345670", True, True),
    ("8011", "孙强", "18823456781", False, False),
    ("8012", "胡雪", "18934567892", False, True),
    ("8013", "朱琳", "13545678903", True, False),
    ("8014", "高飞", "13356789014", True, True),
    ("8015", "林涛", "15267890125", False, False),
    ("8016", "何苗", "15378901236", True, False),
    ("8017", "郭鹏", "18189012347", False, True),
    ("8018", "马超", "18290123458", True, True),
    ("8019", "罗兰", "17301234569", False, False),
    ("8020", "梁晨", "17612345670", True, False),
    ("8021", "Alice Wong", "13123456781", True, True),
    ("8022", "Bob <Chen> & Co", "13234567892", False, True),
    ("8023", "宋佳", "15545678903", True, False),
    ("8024", "郑凯", "15656789014", False, False),
    ("8025", "谢雨", "18767890125", True, True),
    ("8026", "韩梅梅", "18478901236", False, True),
    ("23234", "yanxiaoqi", "13389012347", True, False),
    ("23235", "23235", "13490123458", False, True),
    ("30003", "测试外呼选号", "15711356914", True, True),
)

# exten, display name, assign rule, memory on, memory time, updateTime, updateAgent, members
_GROUPS: tuple[tuple[str, str, str, bool, str, str, str, tuple[tuple[str, int], ...]], ...] = (
    # The queueQueue example lists 10018590 before 10018587; the answer keeps that order.
    (
        "10018590",
        "阿瓦达哇多23",
        "priority",
        True,
        "120",
        "2022-01-04 16:17:27",
        "",
        (("23234", 0),),
    ),
    (
        "10018587",
        "阿瓦达哇多23",
        "priority",
        True,
        "120",
        "2021-12-27 11:23:50",
        "",
        (("23235", 0),),
    ),
    ("10018578", "阿瓦达哇多", "priority", True, "120", "2021-12-20 10:05:12", "", (("8000", 0),)),
    ("10019345", "30003", "random", False, "", "2022-03-15 09:30:00", "", (("30003", 0),)),
    (
        "10019346",
        "售前咨询",
        "queue",
        False,
        "",
        "2024-05-06 09:12:45",
        "8000",
        (("8000", 0), ("8001", 0), ("8002", 0), ("8005", 0)),
    ),
    (
        "10019347",
        "售后服务",
        "least",
        True,
        "1440",
        "2024-05-08 14:03:21",
        "8004",
        (("8004", 1), ("8006", 0), ("8008", 2), ("8009", 0)),
    ),
    (
        "10019348",
        "After-sales Team",
        "priority",
        True,
        "10080",
        "2024-06-01 18:45:00",
        "",
        (("8007", 1), ("8013", 2), ("8016", 3)),
    ),
    (
        "10019349",
        "Night Shift",
        "queue",
        False,
        "",
        "2024-06-03 22:10:08",
        "8010",
        (("8003", 0), ("8011", 0), ("8019", 0)),
    ),
    (
        "10019350",
        "Night Shift Backup",
        "random",
        False,
        "",
        "2024-06-03 22:11:30",
        "8010",
        (("8015", 0), ("8024", 0), ("8020", 0)),
    ),
    (
        "10019351",
        "<!channel> VIP & Co",
        "priority",
        True,
        "43200",
        "2024-07-12 11:00:00",
        "",
        (("8001", 5), ("8002", 3), ("8021", 1)),
    ),
    (
        "10019352",
        "VIP客户专线",
        "least",
        True,
        "120",
        "2024-07-15 16:20:33",
        "8014",
        (("8014", 0), ("8018", 0)),
    ),
    ("10019353", "Weekend Backup", "random", False, "", "2024-08-01 08:00:00", "", ()),
    (
        "10019354",
        "全员值班",
        "queue",
        False,
        "",
        "2024-08-20 07:55:19",
        "8000",
        tuple((f"80{n:02d}", 0) for n in range(15)),
    ),
    (
        "10019355",
        "English Support",
        "random",
        True,
        "1440",
        "2024-09-02 13:14:15",
        "",
        (("8021", 0), ("8022", 0), ("8025", 1)),
    ),
    (
        "10019356",
        "Returns & Refunds",
        "least",
        False,
        "",
        "2024-09-10 10:10:10",
        "8012",
        (("8012", 0), ("8017", 0), ("8023", 0)),
    ),
    (
        "10019357",
        "投诉处理",
        "priority",
        True,
        "1440",
        "2024-10-08 17:30:00",
        "8026",
        (("8026", 2), ("8025", 1), ("8018", 0)),
    ),
    (
        "10019358",
        "日本語サポート",
        "random",
        False,
        "",
        "2024-10-21 09:00:00",
        "",
        (("8021", 0), ("8010", 0)),
    ),
)

# session id, IM agent, customer, state, AgentId
_SESSIONS: tuple[tuple[str, str, str, SessionState, str], ...] = (
    (
        "fd8a2e30-54de-4e40-bcaf-02718409c5cf",
        "@customer_service_account",
        "user45",
        "Agent",
        "zhangwei@deskdemo.cn",
    ),
    ("3b1f6c2e-8a47-4d1e-9c55-6f2a0d9e7b14", "@customer_service_account", "user46", "Chatbot", ""),
    ("a7c4e9d2-1f38-4b6a-8e05-92d7c3f1b6a8", "@customer_service_account", "user47", "Queueing", ""),
    (
        "5e9b2d71-c8a3-4f60-b1d4-7a6e0c2f9d35",
        "@customer_service_account",
        "user48",
        "WaitingForAgentAnswering",
        "",
    ),
    (
        "c2d8f4a6-7b19-4e3c-a5f0-1d6b8e9c3a72",
        "@customer_service_account_01",
        "tokyo_user_01",
        "Agent",
        "alice.wong@deskdemo.cn",
    ),
    (
        "0b6e3f9a-2d5c-4a81-b7e4-c9f1a8d2e560",
        "@customer_service_account",
        "user40",
        "NotInSession",
        "",
    ),
    ("9f2a7c1e-4b8d-4e6f-a3c5-d7e9b1f0c248", "@cs_taiwan", "tw_user_07", "NotInSession", ""),
)

ACTIVE_SESSION_ID = "fd8a2e30-54de-4e40-bcaf-02718409c5cf"
ENDED_SESSION_ID = "0b6e3f9a-2d5c-4a81-b7e4-c9f1a8d2e560"

# The document's own example answer, field for field.
_DOC_IM_AGENT: dict[str, Any] = {
    "IMAgentUserID": "@customer_service_account",
    "IMAgentNick": "衣服官方旗舰店",
    "IMAgentAvatarUrl": "avatar URL 1",
    "ChatbotDisabled": 0,
    "AgentGroupId": 1234,
    "RobotId": "@RBT#DeskDefaultRobot",
    "GroupChatMode": 0,
    "CallbackSwitchBeforeIMContactUser": 0,
    "ContactUserCallbackTimeoutStrategy": 0,
    "MultilingualSettings": {
        "zh": {
            "WelcomeMessage": "欢迎咨询衣服官方旗舰店,很高兴为您服务!",
            "TransferToHumanPrompt": "正在为您转接,请稍候",
            "TransferToHumanSuccessPrompt": "转接人工成功,客服${StaffNickName}为您服务",
            "TransferToHumanFailPrompt": "抱歉,当前无客服在线,请稍后再试",
            "QueueingPrompt": "您的问题我们已经收到。当前咨询人数较多,您目前排在第${QueuePosition}位,前面还有${WaitNo}人,感谢您的耐心等待",
            "UserTimeout": 600,
            "EndPrompt": "本次服务已结束,感谢您的支持",
            "TimeoutEndPrompt": "由于您长时间未回复,本次服务已自动结束,感谢您的支持",
            "WorkTimeConfig": {"Type": 0},
            "NotWorkTimePrompt": "当前无客服在线,请您于工作时间咨询",
            "IsDefault": 1,
            "AssignmentStrategy": 1,
            "ChooseSkillGroupPrompt": "请选择分组",
            "DisplayGroupsChoices": [1, 2, 3],
            "RemindUserBeforeUserTimeout": 60,
            "RemindUserPromptBeforeUserTimeout": "由于您长时间未回复,会话将于60秒结束。",
            "RemindAgentBeforeUserTimeout": 60,
            "RemindAgentPromptBeforeUserTimeout": "会话还有60秒结束,如有需要请及时联系用户。",
            "AppeaseUserBeforeAgentRspTimeout": 60,
            "AppeaseUserPromptBeforeAgentRspTimeout": "目前咨询量较大,正在全力为您处理,请您耐心等待片刻。",
            "Satisfaction": {
                "InvitationMethod": 3,
                "SatisfactionContent": {
                    "RatingInvitationMessage": "感谢您使用我们的服务,请对此次服务进行评价。",
                    "SubmissionMessage": "感谢您对此次服务作出评价,祝您生活愉快,再见。",
                    "OneStarContent": "非常不满意。",
                    "TwoStarContent": "不满意。",
                    "ThreeStarContent": "一般。",
                    "FourStarContent": "满意。",
                    "FiveStarContent": "非常满意。",
                    "SubmissionValidityPeriod": 12,
                },
            },
        },
        "en": {
            "WelcomeMessage": "Welcome! How can we help you?",
            "TransferToHumanPrompt": "Transferring you to an agent, please wait",
            "TransferToHumanSuccessPrompt": "Connected to agent ${StaffNickName}",
            "TransferToHumanFailPrompt": "Sorry, no agents are available. Please try again later",
            "QueueingPrompt": "You are at position ${QueuePosition}, ${WaitNo} people ahead",
            "UserTimeout": 600,
            "EndPrompt": "This session has ended. Thank you!",
            "TimeoutEndPrompt": "Session ended due to inactivity",
            "WorkTimeConfig": {"Type": 0},
            "NotWorkTimePrompt": "No agents available, please contact us during business hours",
            "IsDefault": 0,
            "AssignmentStrategy": 0,
            "Satisfaction": {
                "InvitationMethod": 1,
                "SatisfactionContent": {
                    "RatingInvitationMessage": "Thank you for using our service, please rate this session.",
                    "SubmissionMessage": "Thank you for your feedback. Have a nice day!",
                    "OneStarContent": "Very Dissatisfied",
                    "TwoStarContent": "Dissatisfied",
                    "ThreeStarContent": "Neutral",
                    "FourStarContent": "Satisfied",
                    "FiveStarContent": "Very Satisfied",
                    "SubmissionValidityPeriod": 12,
                },
            },
        },
    },
}

# Per-language texts for the other IM agents, in the field order of the document.
_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "WelcomeMessage": "Hi! Welcome to Global Electronics. What can we do for you?",
        "TransferToHumanPrompt": "Connecting you to a specialist, one moment please",
        "TransferToHumanSuccessPrompt": "${StaffNickName} is here to help you",
        "TransferToHumanFailPrompt": "All specialists are busy right now. Please try again later",
        "QueueingPrompt": "You are number ${QueuePosition} in the queue (${WaitNo} ahead of you)",
        "EndPrompt": "Thanks for chatting with us!",
        "TimeoutEndPrompt": "We closed this chat because there was no reply",
        "NotWorkTimePrompt": "Our specialists are available Monday to Friday, 09:00-18:00",
        "RatingInvitationMessage": "How did we do? Please rate this chat.",
        "SubmissionMessage": "Thanks for your rating!",
        "OneStarContent": "Very Dissatisfied",
        "TwoStarContent": "Dissatisfied",
        "ThreeStarContent": "Neutral",
        "FourStarContent": "Satisfied",
        "FiveStarContent": "Very Satisfied",
    },
    "ja": {
        "WelcomeMessage": "いらっしゃいませ。ご用件をお聞かせください。",
        "TransferToHumanPrompt": "担当者におつなぎしています。少々お待ちください",
        "TransferToHumanSuccessPrompt": "担当の${StaffNickName}が対応いたします",
        "TransferToHumanFailPrompt": "申し訳ございません。ただいま担当者が不在です",
        "QueueingPrompt": "ただいま${QueuePosition}番目です(前に${WaitNo}名)",
        "EndPrompt": "ご利用ありがとうございました",
        "TimeoutEndPrompt": "ご返信がなかったため、チャットを終了しました",
        "NotWorkTimePrompt": "営業時間外です。平日9時から18時までにお問い合わせください",
        "RatingInvitationMessage": "今回の対応を評価してください。",
        "SubmissionMessage": "ご評価ありがとうございました。",
        "OneStarContent": "非常に不満",
        "TwoStarContent": "不満",
        "ThreeStarContent": "普通",
        "FourStarContent": "満足",
        "FiveStarContent": "非常に満足",
    },
    "ko": {
        "WelcomeMessage": "안녕하세요! 무엇을 도와드릴까요?",
        "TransferToHumanPrompt": "상담원에게 연결 중입니다. 잠시만 기다려 주세요",
        "TransferToHumanSuccessPrompt": "${StaffNickName} 상담원이 연결되었습니다",
        "TransferToHumanFailPrompt": "죄송합니다. 현재 상담 가능한 상담원이 없습니다",
        "QueueingPrompt": "현재 대기 순서는 ${QueuePosition}번입니다 (앞에 ${WaitNo}명)",
        "EndPrompt": "상담이 종료되었습니다. 감사합니다",
        "TimeoutEndPrompt": "응답이 없어 상담이 자동 종료되었습니다",
        "NotWorkTimePrompt": "상담 시간이 아닙니다. 평일 9시~18시에 문의해 주세요",
        "RatingInvitationMessage": "이번 상담을 평가해 주세요.",
        "SubmissionMessage": "평가해 주셔서 감사합니다.",
        "OneStarContent": "매우 불만족",
        "TwoStarContent": "불만족",
        "ThreeStarContent": "보통",
        "FourStarContent": "만족",
        "FiveStarContent": "매우 만족",
    },
    "zh-TW": {
        "WelcomeMessage": "歡迎光臨台灣門市,很高興為您服務!",
        "TransferToHumanPrompt": "正在為您轉接專人,請稍候",
        "TransferToHumanSuccessPrompt": "轉接成功,客服${StaffNickName}為您服務",
        "TransferToHumanFailPrompt": "抱歉,目前沒有客服在線,請稍後再試",
        "QueueingPrompt": "您目前排在第${QueuePosition}位,前面還有${WaitNo}人",
        "EndPrompt": "本次服務已結束,感謝您的支持",
        "TimeoutEndPrompt": "由於您長時間未回覆,本次服務已自動結束",
        "NotWorkTimePrompt": "目前非服務時間,請於工作日諮詢",
        "RatingInvitationMessage": "請為本次服務評分。",
        "SubmissionMessage": "感謝您的評價,祝您愉快。",
        "OneStarContent": "非常不滿意",
        "TwoStarContent": "不滿意",
        "ThreeStarContent": "普通",
        "FourStarContent": "滿意",
        "FiveStarContent": "非常滿意",
    },
    "zh": {
        "WelcomeMessage": "您好,这里是售后服务中心,请问有什么可以帮您?",
        "TransferToHumanPrompt": "正在为您转接售后专员,请稍候",
        "TransferToHumanSuccessPrompt": "售后专员${StaffNickName}为您服务",
        "TransferToHumanFailPrompt": "抱歉,售后专员都在忙,请稍后再试",
        "QueueingPrompt": "您目前排在第${QueuePosition}位,前面还有${WaitNo}人",
        "EndPrompt": "本次服务已结束,感谢您的支持",
        "TimeoutEndPrompt": "由于您长时间未回复,本次服务已自动结束",
        "NotWorkTimePrompt": "售后服务时间为每日9:00-21:00",
        "RatingInvitationMessage": "请对本次售后服务进行评价。",
        "SubmissionMessage": "感谢您的评价!",
        "OneStarContent": "非常不满意。",
        "TwoStarContent": "不满意。",
        "ThreeStarContent": "一般。",
        "FourStarContent": "满意。",
        "FiveStarContent": "非常满意。",
    },
}

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


def _work_time(kind: int) -> dict[str, Any]:
    """WorkTimeConfig: 0 off, 1 a weekly plan, 2 statutory working days."""
    if kind == 1:
        return {
            "Type": 1,
            "Periods": [
                {"Day": day, "PeriodsWithinOneDay": [{"Start": "09:00", "End": "18:00"}]}
                for day in _WEEKDAYS
            ],
        }
    if kind == 2:
        return {
            "Type": 2,
            "Periods": [{"PeriodsWithinOneDay": [{"Start": "09:00", "End": "21:00"}]}],
        }
    return {"Type": 0}


def _language(
    code: str,
    *,
    is_default: bool,
    work_time: int,
    assignment_strategy: int,
    invitation_method: int,
    **extra: Any,
) -> dict[str, Any]:
    texts = _TEXTS[code]
    settings: dict[str, Any] = {
        "WelcomeMessage": texts["WelcomeMessage"],
        "TransferToHumanPrompt": texts["TransferToHumanPrompt"],
        "TransferToHumanSuccessPrompt": texts["TransferToHumanSuccessPrompt"],
        "TransferToHumanFailPrompt": texts["TransferToHumanFailPrompt"],
        "QueueingPrompt": texts["QueueingPrompt"],
        "UserTimeout": 600,
        "EndPrompt": texts["EndPrompt"],
        "TimeoutEndPrompt": texts["TimeoutEndPrompt"],
        "WorkTimeConfig": _work_time(work_time),
        "NotWorkTimePrompt": texts["NotWorkTimePrompt"],
        "IsDefault": 1 if is_default else 0,
        "AssignmentStrategy": assignment_strategy,
    }
    settings.update(extra)
    settings["Satisfaction"] = {
        "InvitationMethod": invitation_method,
        "SatisfactionContent": {
            key: texts[key]
            for key in (
                "RatingInvitationMessage",
                "SubmissionMessage",
                "OneStarContent",
                "TwoStarContent",
                "ThreeStarContent",
                "FourStarContent",
                "FiveStarContent",
            )
        }
        | {"SubmissionValidityPeriod": 24},
    }
    return settings


def _im_agent_documents() -> list[dict[str, Any]]:
    return [
        _DOC_IM_AGENT,
        {
            "IMAgentUserID": "@customer_service_account_01",
            "IMAgentNick": "Global Electronics Support",
            "IMAgentAvatarUrl": "https://static.deskdemo.cn/avatars/global-electronics.png",
            "ChatbotDisabled": 1,
            "AgentGroupId": 2001,
            "RobotId": "",
            "GroupChatMode": 1,
            "CallbackSwitchBeforeIMContactUser": 1,
            "ContactUserCallbackTimeoutStrategy": 1,
            "MultilingualSettings": {
                "en": _language(
                    "en", is_default=True, work_time=1, assignment_strategy=0, invitation_method=1
                ),
                "ja": _language(
                    "ja", is_default=False, work_time=1, assignment_strategy=0, invitation_method=2
                ),
                "ko": _language(
                    "ko", is_default=False, work_time=1, assignment_strategy=0, invitation_method=0
                ),
            },
        },
        {
            "IMAgentUserID": "@cs_taiwan",
            "IMAgentNick": "台灣門市客服",
            "IMAgentAvatarUrl": "https://static.deskdemo.cn/avatars/taiwan-store.png",
            "ChatbotDisabled": 0,
            "AgentGroupId": 3001,
            "RobotId": "@RBT#TaiwanStoreRobot",
            "GroupChatMode": 2,
            "CallbackSwitchBeforeIMContactUser": 0,
            "ContactUserCallbackTimeoutStrategy": 0,
            "QueueLeavePageTimeoutEnable": 1,
            "QueueLeavePageTimeout": 300,
            "MultilingualSettings": {
                "zh-TW": _language(
                    "zh-TW",
                    is_default=True,
                    work_time=2,
                    assignment_strategy=2,
                    invitation_method=3,
                    AssignedByWebhookURL="https://hooks.deskdemo.cn/desk/assign",
                ),
                "en": _language(
                    "en", is_default=False, work_time=2, assignment_strategy=2, invitation_method=1
                ),
            },
        },
        {
            "IMAgentUserID": "@cs_after_sales",
            "IMAgentNick": "售后服务中心",
            "IMAgentAvatarUrl": "https://static.deskdemo.cn/avatars/after-sales.png",
            "ChatbotDisabled": 0,
            "AgentGroupId": 1235,
            "RobotId": "@RBT#DeskDefaultRobot",
            "GroupChatMode": 0,
            "CallbackSwitchBeforeIMContactUser": 0,
            "ContactUserCallbackTimeoutStrategy": 0,
            "MultilingualSettings": {
                "zh": _language(
                    "zh",
                    is_default=True,
                    work_time=1,
                    assignment_strategy=1,
                    invitation_method=1,
                    ChooseSkillGroupPrompt="请选择您要咨询的业务",
                    DisplayGroupsChoices=[1235, 1236],
                ),
            },
        },
    ]


def build_world(clock: Clock) -> World:
    """A fresh seed world; every call builds new objects, so worlds never share state."""
    world = World(clock)
    for number, name, phone, pc_claim, app_claim in _AGENTS:
        world.agents[number] = Agent(number, name, phone, pc_claim, app_claim)
    for exten, name, rule, memory, memory_time, updated, updater, members in _GROUPS:
        world.groups[exten] = SkillGroup(
            exten=exten,
            display_name=name,
            assign_rule=rule,
            is_memory=memory,
            memory_time=memory_time,
            update_time=updated,
            update_agent=updater,
            members=[GroupMember(number, priority) for number, priority in members],
        )
    for document in _im_agent_documents():
        user_id = str(document["IMAgentUserID"])
        world.im_agents[user_id] = ImAgent(user_id, copy.deepcopy(document))
    for session_id, im_agent, user, state, agent_id in _SESSIONS:
        world.sessions[session_id] = Session(session_id, im_agent, user, state, agent_id)
    return world
