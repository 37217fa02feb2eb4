"""A consumer's freshness: the age of the oldest event it knows of and has not applied."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from microshop.common.events.consumer import Freshness


def ago(seconds: float) -> datetime:
    return datetime.now(UTC) - timedelta(seconds=seconds)


def test_until_the_first_fetch_finds_nothing_the_age_counts_from_the_start() -> None:
    freshness = Freshness()
    time.sleep(0.05)
    assert freshness.seconds() >= 0.05
    freshness.caught_up()
    assert freshness.seconds() == 0.0


def test_received_events_make_it_as_old_as_the_oldest_of_them() -> None:
    freshness = Freshness()
    freshness.caught_up()
    freshness.received(ago(3))
    assert freshness.seconds() == pytest.approx(3, abs=0.5)
    freshness.received(ago(1))  # a later fetch does not make the older backlog younger
    assert freshness.seconds() == pytest.approx(3, abs=0.5)


def test_applied_with_nothing_pending_is_caught_up_else_as_old_as_what_was_applied() -> None:
    freshness = Freshness()
    freshness.caught_up()
    freshness.received(ago(5))
    freshness.applied(ago(2), pending=40)
    assert freshness.seconds() == pytest.approx(2, abs=0.5)
    freshness.applied(ago(0.1), pending=0)
    assert freshness.seconds() == 0.0


def test_out_of_touch_counts_from_then_and_keeps_an_older_backlog() -> None:
    freshness = Freshness()
    freshness.caught_up()
    freshness.out_of_touch()
    time.sleep(0.05)
    assert 0.05 <= freshness.seconds() < 1
    freshness.caught_up()
    freshness.received(ago(4))
    freshness.out_of_touch()
    assert freshness.seconds() == pytest.approx(4, abs=0.5)
