"""The one reply script: every stand-in's answers are a pure function of the conversation it is sent."""

from __future__ import annotations

import threading

import pytest

from local.reply_script import Reply, ReplyScriptError, ToolCall, answer, converse_from_openai, reply_for


def _user(text: str) -> dict:
    return {"role": "user", "content": [{"text": text}]}


def _assistant(text: str) -> dict:
    return {"role": "assistant", "content": [{"text": text}]}


def test_recall_answers_from_the_latest_name_in_the_messages() -> None:
    messages = [
        _user("My name is Ann."),
        _assistant("Hi"),
        _user("My name is Bob!"),
        _assistant("Hi"),
        _user("Do you remember my name?"),
    ]

    assert reply_for(messages) == Reply(text="Your name is Bob.")


def test_recall_without_a_name_in_the_messages_says_so() -> None:
    assert reply_for([_user("Do you remember my name?")]) == Reply(text="I don't know your name.")


def test_introduction_is_greeted() -> None:
    assert reply_for([_user("My name is John Doe.")]) == Reply(text="Nice to meet you, John Doe.")


def test_weather_calls_the_tool_then_answers_with_its_result() -> None:
    call = reply_for([_user("What is the weather in New York?")])
    result = {"role": "user", "content": [{"toolResult": {"toolUseId": "tooluse_1", "content": [{"text": "Cloudy."}]}}]}

    assert call == Reply(tool_call=ToolCall("tooluse_1", "get_weather", {"city": "New York"}))
    assert reply_for([_user("weather in New York"), {"role": "assistant", "content": []}, result]) == Reply(
        text="Cloudy."
    )


def test_turn_count_counts_user_text_turns_only() -> None:
    messages = [_user("a"), _assistant("b"), _user("How many turns?")]

    assert reply_for(messages) == Reply(text="You have sent 2 messages.")


def test_fail_the_model_raises() -> None:
    with pytest.raises(ReplyScriptError, match=r"^scripted model failure requested by the prompt$"):
        reply_for([_user("Please FAIL the model now")])


def test_anything_else_is_echoed() -> None:
    assert reply_for([_user("hello there")]) == Reply(text="You said: hello there")


def test_openai_conversation_converts_tool_calls_and_results() -> None:
    openai = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": [{"type": "text", "text": "weather in Paris"}]},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c1", "function": {"name": "get_weather", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "Sunny."},
    ]

    assert converse_from_openai(openai) == [
        _user("weather in Paris"),
        {"role": "assistant", "content": [{"toolUse": {"toolUseId": "c1", "name": "get_weather"}}]},
        {"role": "user", "content": [{"toolResult": {"toolUseId": "c1", "content": [{"text": "Sunny."}]}}]},
    ]
    assert reply_for(converse_from_openai(openai)) == Reply(text="Sunny.")


def test_meet_n_sessions_answers_once_n_callers_overlap() -> None:
    answers: list[Reply] = []
    threads = [threading.Thread(target=lambda: answers.append(answer([_user("meet 3 sessions")]))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert answers == [Reply(text="All 3 sessions met.")] * 3


def test_meet_n_sessions_alone_gives_up() -> None:
    assert answer([_user("meet 2 sessions")], rendezvous_timeout_seconds=0.01) == Reply(text="Met no one.")


def _recalled(context: str, text: str) -> dict:
    """A user turn as AgentCore Memory's Strands integration sends it: the recalled context block first."""
    return {"role": "user", "content": [{"text": f"<user_context>{context}</user_context>"}, {"text": text}]}


def test_recall_in_a_new_session_answers_from_the_recalled_context() -> None:
    messages = [_recalled("The user prefers tea.\nThe user's name is John Doe.", "Do you remember my name?")]

    assert reply_for(messages) == Reply(text="Your name is John Doe.")


def test_a_name_said_in_the_session_wins_over_the_recalled_one() -> None:
    messages = [
        _user("My name is Ann."),
        _assistant("Hi"),
        _recalled("The user's name is John Doe.", "Do you remember my name?"),
    ]

    assert reply_for(messages) == Reply(text="Your name is Ann.")


def test_recalled_context_is_not_the_users_words() -> None:
    assert reply_for([_recalled("The user's name is John Doe.", "hello")]) == Reply(text="You said: hello")
    # Control: the same text typed by the user is their words.
    assert reply_for([_user("<b>The user's name is John Doe.</b> hello")]).text == (
        "You said: <b>The user's name is John Doe.</b> hello"
    )


def test_openai_parts_stay_separate_blocks_so_recalled_context_is_recognized() -> None:
    openai = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "<user_context>The user's name is John Doe.</user_context>"},
                {"type": "text", "text": "Do you remember my name?"},
            ],
        }
    ]

    assert reply_for(converse_from_openai(openai)) == Reply(text="Your name is John Doe.")
