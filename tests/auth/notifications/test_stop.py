"""A stop of Auth waits long enough for the order email under way (an unconfirmed claim is never sent again)."""

from microshop.auth.config import AuthSettings
from microshop.auth.notifications import jobs
from microshop.common.events.hooks import STOP_SECONDS
from tests.support.apps import make_settings


def test_the_stop_outlasts_a_whole_smtp_exchange_at_the_configured_timeout() -> None:
    for timeout in (1.0, 10.0, 30.0):
        settings = make_settings(AuthSettings, smtp_timeout=timeout)
        assert jobs.stop_seconds(settings) >= jobs.SMTP_STEPS * timeout  # each step of a send may take that long
    # The shared default (what every events hook waited before) would cut a send at the default timeout.
    assert jobs.stop_seconds(make_settings(AuthSettings)) > STOP_SECONDS
