"""The guard against tests that depend on the wall clock: bin/test runs pytest, and the processes it
starts, on a clock moved to a fixed awkward instant (bin/lib.sh: setup_test_clock). These tests
check that the move is in force, so that the guard cannot be lost without anyone noticing."""

import datetime
import os
import subprocess
import sys

import pytest
from django.utils import timezone

AT = os.environ.get("PRACTICA_TEST_CLOCK_AT")


def test_ci_runs_the_suite_on_the_moved_clock() -> None:
    if os.environ.get("CI") and os.environ.get("PRACTICA_TEST_CLOCK") != "real":
        assert AT, "CI must run pytest through bin/test, which moves the tests' clock"


@pytest.mark.skipif(not AT, reason="pytest was not started by bin/test on a moved clock")
def test_the_tests_and_the_processes_they_start_share_the_moved_clock() -> None:
    start = datetime.datetime.fromtimestamp(int(AT or 0), tz=datetime.UTC)
    # The suite takes minutes; a clock that was not moved would be days or years away.
    assert start <= timezone.now() < start + datetime.timedelta(hours=2)
    child = subprocess.run(
        [sys.executable, "-c", "import time; print(time.time())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert abs(float(child.stdout) - timezone.now().timestamp()) < 60
