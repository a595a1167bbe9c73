"""Pure tests of the enterprise's answers (domain.feedback) and the feedback/survey policy rules."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.feedback import (
    Answer,
    Due,
    FeedbackSummary,
    due,
    may_change_rating,
    reminders_after,
    summarize,
)
from domain.policy import (
    PRESETS,
    FeedbackRules,
    PolicyError,
    SurveyRules,
    load_policy,
    parse_policy,
)

PROMPTED = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)
RULES = FeedbackRules()  # reminders after 2 and 5 days, unanswered after 7, change within 24 h


def _at(days: float = 0, hours: float = 0) -> datetime:
    return PROMPTED + timedelta(days=days, hours=hours)


# --------------------------------------------------------------------------- due


def test_default_rules():
    assert (RULES.reminder_days, RULES.unanswered_days, RULES.change_hours) == ((2, 5), 7, 24)


@pytest.mark.parametrize("age", [timedelta(0), timedelta(hours=1), timedelta(days=1),
                                 timedelta(days=2) - timedelta(seconds=1)])
def test_due_nothing_before_day_two(age):
    assert due(PROMPTED, 0, PROMPTED + age, RULES) is None


def test_due_remind_at_two_days():
    assert due(PROMPTED, 0, _at(2), RULES) is Due.REMIND


def test_due_nothing_once_the_first_reminder_is_recorded():
    assert due(PROMPTED, 1, _at(2), RULES) is None
    assert due(PROMPTED, 1, _at(4, 23), RULES) is None


def test_due_second_reminder_at_five_days():
    assert due(PROMPTED, 1, _at(5), RULES) is Due.REMIND


def test_due_nothing_after_both_reminders_until_expiry():
    assert due(PROMPTED, 2, _at(5), RULES) is None
    assert due(PROMPTED, 2, _at(7) - timedelta(seconds=1), RULES) is None


@pytest.mark.parametrize("sent", [0, 1, 2])
def test_due_expire_at_unanswered_days(sent):
    assert due(PROMPTED, sent, _at(7), RULES) is Due.EXPIRE
    assert due(PROMPTED, sent, _at(30), RULES) is Due.EXPIRE


def test_due_after_a_long_gap_sends_one_reminder_not_several():
    now = _at(6)  # both reminders were missed (the bot was down)
    assert due(PROMPTED, 0, now, RULES) is Due.REMIND
    sent = reminders_after(PROMPTED, now, RULES)
    assert sent == 2
    assert due(PROMPTED, sent, now, RULES) is None
    assert due(PROMPTED, sent, _at(6, 12), RULES) is None


def test_reminders_after_counts_reminders_due_by_now():
    assert reminders_after(PROMPTED, _at(1), RULES) == 0
    assert reminders_after(PROMPTED, _at(2), RULES) == 1
    assert reminders_after(PROMPTED, _at(4), RULES) == 1
    assert reminders_after(PROMPTED, _at(5), RULES) == 2


def test_due_walk_through_the_week():
    sent, events = 0, []
    for hour in range(8 * 24):
        now = _at(hours=hour)
        what = due(PROMPTED, sent, now, RULES)
        if what is Due.REMIND:
            sent = reminders_after(PROMPTED, now, RULES)
        if what is not None:
            events.append((hour, what))
        if what is Due.EXPIRE:
            break
    assert events == [(48, Due.REMIND), (120, Due.REMIND), (168, Due.EXPIRE)]


def test_due_without_reminders_only_expires():
    rules = FeedbackRules(reminder_days=(), unanswered_days=3)
    assert due(PROMPTED, 0, _at(2), rules) is None
    assert due(PROMPTED, 0, _at(3), rules) is Due.EXPIRE


# --------------------------------------------------------------------------- may_change_rating


def test_may_change_rating_when_not_rated():
    assert may_change_rating(None, _at(100), RULES) is True


def test_may_change_rating_within_change_hours():
    assert may_change_rating(PROMPTED, _at(hours=1), RULES) is True
    assert may_change_rating(PROMPTED, _at(hours=24), RULES) is True


def test_may_not_change_rating_after_change_hours():
    assert may_change_rating(PROMPTED, _at(hours=24) + timedelta(seconds=1), RULES) is False
    assert may_change_rating(PROMPTED, _at(3), RULES) is False


def test_may_change_rating_with_zero_hours_only_at_once():
    rules = FeedbackRules(change_hours=0)
    assert may_change_rating(PROMPTED, PROMPTED, rules) is True
    assert may_change_rating(PROMPTED, PROMPTED + timedelta(seconds=1), rules) is False


# --------------------------------------------------------------------------- summarize


def test_summarize_counts_each_status():
    statuses = ["confirmed", "confirmed", "disputed", "unanswered", "pending", "pending", "confirmed"]
    s = summarize(statuses, [], [], [], 0)
    assert (s.confirmed, s.disputed, s.unanswered, s.pending) == (3, 1, 1, 2)


def test_summarize_mean_rating_is_rounded_to_two_places():
    s = summarize([], [5, 4, 4], [], [], 0)
    assert s.mean_rating == 4.33
    assert s.ratings == (5, 4, 4)


def test_summarize_mean_rating_none_without_ratings():
    assert summarize(["confirmed"], [], [], [], 0).mean_rating is None


def test_summarize_response_rate_ignores_pending():
    s = summarize(["confirmed", "disputed", "unanswered", "pending", "pending", "pending"], [], [], [], 0)
    assert s.response_rate == round(2 / 3, 3) == 0.667


def test_summarize_response_rate_none_when_nothing_closed():
    assert summarize([], [], [], [], 0).response_rate is None
    assert summarize(["pending", "pending"], [], [], [], 0).response_rate is None


def test_summarize_response_rate_all_answered_and_none_answered():
    assert summarize(["confirmed", "disputed"], [], [], [], 0).response_rate == 1.0
    assert summarize(["unanswered"], [], [], [], 0).response_rate == 0.0


def test_summarize_survey_means_per_question():
    answers = [
        {"attitude": 5, "solving": 4, "transfer": 3, "overall": 5},
        {"attitude": 4, "solving": 4, "transfer": 2, "overall": 4},
        {"attitude": 4, "solving": 5},  # a partial answer counts only for the questions it has
    ]
    s = summarize([], [], [], answers, 5)
    assert s.survey_scores == {"attitude": 4.33, "overall": 4.5, "solving": 4.33, "transfer": 2.5}
    assert (s.surveys_answered, s.surveys_sent) == (3, 5)


def test_summarize_keeps_comments():
    s = summarize([], [3], ["很好", "及时"], [], 0)
    assert s.comments == ("很好", "及时")


def test_summarize_empty():
    s = summarize([], [], [], [], 0)
    assert s == FeedbackSummary()
    assert s.survey_scores == {} and s.mean_rating is None and s.response_rate is None


def test_answer_values_match_statuses():
    assert {a.value for a in Answer} == {"pending", "confirmed", "disputed", "unanswered"}


# --------------------------------------------------------------------------- policy


def _policy_data(**overrides) -> dict:
    data = {
        "key": "test", "city_zh": "测试", "city_en": "Test", "title_zh": "科技特派员", "title_en": "Commissioners",
        "grades": [{"key": "good", "zh": "好", "en": "Good"}, {"key": "bad", "zh": "差", "en": "Bad"}],
        "service_kinds": [{"key": "tech", "zh": "技术", "en": "Tech"}],
    }
    return data | overrides


def test_policy_data_is_valid_without_overrides():
    policy = parse_policy(_policy_data())
    assert policy.feedback == FeedbackRules()
    assert policy.survey is None


def test_policy_feedback_from_mapping():
    policy = parse_policy(_policy_data(feedback={"reminder_days": [1, 3, 6], "unanswered_days": 10,
                                                 "change_hours": 48}))
    assert policy.feedback.reminder_days == (1, 3, 6)
    assert policy.feedback.unanswered_days == 10


@pytest.mark.parametrize("days", [[5, 2], [2, 2], [3, 3, 5], [0, 2], [-1, 2]])
def test_policy_feedback_reminder_days_must_increase(days):
    with pytest.raises(PolicyError, match="feedback"):
        parse_policy(_policy_data(feedback={"reminder_days": days, "unanswered_days": 10}))


@pytest.mark.parametrize("unanswered", [5, 4, 1])
def test_policy_feedback_unanswered_must_come_after_the_last_reminder(unanswered):
    with pytest.raises(PolicyError, match="feedback"):
        parse_policy(_policy_data(feedback={"reminder_days": [2, 5], "unanswered_days": unanswered}))


def test_policy_feedback_unanswered_one_day_after_last_reminder_is_fine():
    policy = parse_policy(_policy_data(feedback={"reminder_days": [2, 5], "unanswered_days": 6}))
    assert policy.feedback.unanswered_days == 6


def test_policy_feedback_error_names_the_source():
    with pytest.raises(PolicyError, match=r"^mine\.toml: feedback"):
        parse_policy(_policy_data(feedback={"reminder_days": [5, 2]}), source="mine.toml")


def test_feedback_rules_unknown_key_is_refused():
    with pytest.raises(PolicyError, match="feedback"):
        parse_policy(_policy_data(feedback={"remind_days": [2]}))


def test_survey_needs_a_question():
    with pytest.raises(PolicyError, match="survey"):
        parse_policy(_policy_data(survey={"month": 11, "questions": []}))


@pytest.mark.parametrize("month", [0, 13])
def test_survey_month_out_of_range(month):
    with pytest.raises(PolicyError, match="survey"):
        parse_policy(_policy_data(survey={"month": month, "questions": [{"key": "a", "zh": "甲", "en": "A"}]}))


def test_survey_month_defaults_to_november():
    survey = SurveyRules(questions=({"key": "a", "zh": "甲", "en": "A"},))
    assert survey.month == 11


@pytest.mark.parametrize("name", PRESETS)
def test_presets_have_the_four_survey_questions_in_november(name):
    policy = load_policy(name)
    assert policy.survey is not None
    assert policy.survey.month == 11
    assert [q.key for q in policy.survey.questions] == ["attitude", "solving", "transfer", "overall"]
    assert all(q.zh and q.en for q in policy.survey.questions)


@pytest.mark.parametrize("name", PRESETS)
def test_presets_feedback_rules(name):
    assert load_policy(name).feedback == FeedbackRules(reminder_days=(2, 5), unanswered_days=7, change_hours=24)
