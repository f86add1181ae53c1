"""Episodes from synthetic hourly series: one Alert and one Cancel per episode,
Updates as it worsens, gaps that neither open nor close, the daily cap."""
import datetime as dt
import json

import pytest

from ckanext.maemoh.alerts.episodes import Rules, Sent, State, decide, step

START = dt.datetime(2026, 3, 10, 0, tzinfo=dt.timezone.utc)
HOUR = dt.timedelta(hours=1)


def series(levels):
    """Readings from START, one an hour."""
    return {START + k * HOUR: level for k, level in enumerate(levels)}


def run(levels, threshold=3, rules=Rules(), daily_cap=10):
    """Steps every hour with one subscriber; the transitions and messages in order."""
    readings, state, sent, log = series(levels), State(), Sent(), []
    for k in range(len(levels)):
        state, transition = step(state, readings, START + k * HOUR, threshold, rules)
        message = decide(state, sent, 0, daily_cap)
        if message == "Cancel":
            sent = Sent(sent.level, cancelled=True)
        elif message:
            sent = Sent(state.level)
        log += [x for x in (transition, message) if x]
    return state, log


def test_flapping_around_the_threshold_is_one_episode():
    state, log = run([2, 3, 3, 2, 3, 2, 3, 3, 2, 3, 2, 2, 2, 2])
    assert log == ["open", "Alert", "close", "Cancel"]
    assert state.opened_at == START + HOUR
    assert state.closed_at == START + 10 * HOUR


def test_a_slow_rise_alerts_then_updates():
    state, log = run([3, 3, 4, 4, 5, 5, 5])
    assert log == ["open", "Alert", "worsen", "Update", "worsen", "Update"]
    assert (state.level, state.peak) == (5, 5)


def test_easing_sends_nothing_and_a_new_rise_to_the_sent_level_neither():
    state, log = run([4, 4, 3, 3, 4, 4])
    assert log == ["open", "Alert", "ease", "worsen"]
    assert (state.level, state.peak) == (4, 4)


def test_missing_hours_neither_open_nor_close():
    assert run([3, None, 3, None, 3])[1] == []
    state, log = run([3, 3, 2, None, 2, 2, None, None])
    assert log == ["open", "Alert"] and state.open


def test_opened_at_is_the_first_hour_of_the_holding_run():
    readings = series([1, 3, 4, 4, 4])
    state, transition = step(State(), readings, START + 4 * HOUR, 3, Rules())
    assert transition == "open" and state.opened_at == START + HOUR and state.level == 4


def test_step_is_idempotent():
    readings = series([3, 3, 2, 2, 2])
    opened, transition = step(State(), readings, START + HOUR, 3, Rules())
    assert transition == "open"
    assert step(opened, readings, START + HOUR, 3, Rules()) == (opened, None)
    closed, transition = step(opened, readings, START + 4 * HOUR, 3, Rules())
    assert transition == "close"
    assert step(closed, readings, START + 4 * HOUR, 3, Rules()) == (closed, None)


def test_the_daily_cap_withholds_alerts_and_updates_but_never_the_all_clear():
    opened = State(True, START, 4, 4)
    assert decide(opened, Sent(), 2, 2) is None
    assert decide(opened, Sent(3), 5, 2) is None
    assert decide(opened, Sent(3), 1, 2) == "Update"
    closed = State(False, START, 4, 4, START + 5 * HOUR)
    assert decide(closed, Sent(4), 9, 2) == "Cancel"
    assert decide(closed, Sent(4, cancelled=True), 0, 2) is None
    assert decide(closed, Sent(), 0, 2) is None


def test_state_round_trips_through_json():
    state = State(False, START, 4, 5, START + 6 * HOUR)
    assert State.from_dict(json.loads(json.dumps(state.as_dict()))) == state
    assert State.from_dict(State().as_dict()) == State()


@pytest.mark.parametrize("field, value", [("open_hours", 0), ("clear_hours", 73),
                                          ("open_hours", 1.5), ("clear_hours", True)])
def test_rules_are_validated(field, value):
    with pytest.raises(ValueError, match=field):
        Rules(**{field: value})


def test_hour_must_be_aware_and_on_the_hour():
    for hour in (START.replace(tzinfo=None), START + dt.timedelta(minutes=30)):
        with pytest.raises(ValueError, match="hour"):
            step(State(), {}, hour, 3, Rules())
