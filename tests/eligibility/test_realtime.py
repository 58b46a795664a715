"""The CAQH CORE real-time adapter against a fake clearinghouse on loopback (a fake: no real
clearinghouse can run here): envelope, timeouts, retries with backoff, the per-payer rate limit,
and a coverage checked end to end."""

import datetime as dt
from collections.abc import Iterator

import pytest

from practica.eligibility.checking import Requester, check_coverage
from practica.eligibility.models import Trigger
from practica.eligibility.realtime import PAYLOAD_270, CoreClearinghouse, RateLimiter, RealtimeFailed
from practica.insurance.models import Coverage
from practica.x12.inquiry270 import write_270
from tests.eligibility.fake_clearinghouse import Answer, FakeClearinghouse
from tests.x12.test_eligibility_x12 import inquiry

NOW = dt.datetime(2026, 11, 2, 14, 0, tzinfo=dt.UTC)
REQUESTER = Requester(npi="1234567893", name="ALPHA CLINIC", ein="123456789")


@pytest.fixture
def fake() -> Iterator[FakeClearinghouse]:
    server = FakeClearinghouse()
    server.start()
    yield server
    server.stop()


def adapter(fake: FakeClearinghouse, **options: object) -> tuple[CoreClearinghouse, list[float]]:
    slept: list[float] = []
    values = {"sender_id": "PRACTICA", "receiver_id": "FAKECH", "timeout": 1.0, "backoff": 0.1, **options}
    return CoreClearinghouse(fake.url, sleep=slept.append, **values), slept  # type: ignore[arg-type]


def test_a_270_goes_in_a_core_envelope_and_a_271_comes_back(fake: FakeClearinghouse) -> None:
    fake.members["W123456789"] = Answer()
    core, _ = adapter(fake)
    answer = core.exchange(write_270(inquiry()), payer_id="87726")
    assert answer.startswith("ISA") and "EB*1**30**PPO SILVER~" in answer
    sent = fake.requests[0]
    assert sent["PayloadType"] == PAYLOAD_270 and sent["ProcessingMode"] == "RealTime"
    assert sent["CORERuleVersion"] == "2.2.0" and sent["SenderID"] == "PRACTICA" and sent["PayloadID"]
    assert sent["Payload"].startswith("ISA*00") and "EQ*98~" in sent["Payload"]


def test_server_errors_are_retried_with_backoff(fake: FakeClearinghouse) -> None:
    fake.members["W123456789"] = Answer()
    fake.fail_next.extend([503, 502])
    core, slept = adapter(fake, retries=2)
    assert "EB*1" in core.exchange(write_270(inquiry()), payer_id="87726")
    assert len(fake.requests) == 3 and slept == [0.1, 0.2]


def test_a_refusal_is_not_retried_and_giving_up_says_why(fake: FakeClearinghouse) -> None:
    fake.fail_next.append(400)
    core, slept = adapter(fake)
    with pytest.raises(RealtimeFailed, match="HTTP 400") as caught:
        core.exchange(write_270(inquiry()), payer_id="87726")
    assert not caught.value.retryable and len(fake.requests) == 1 and slept == []
    fake.fail_next.extend([503, 503, 503])
    with pytest.raises(RealtimeFailed, match="HTTP 503"):
        core.exchange(write_270(inquiry()), payer_id="87726")
    assert len(fake.requests) == 4


def test_a_clearinghouse_that_hangs_times_out_and_is_retried(fake: FakeClearinghouse) -> None:
    fake.members["W123456789"] = Answer()
    fake.fail_next.append("hang")
    core, slept = adapter(fake, timeout=0.3, retries=1)
    assert "EB*1" in core.exchange(write_270(inquiry()), payer_id="87726")
    assert slept == [0.1] and len(fake.requests) == 2


def test_nothing_listening_is_a_retryable_failure() -> None:
    core = CoreClearinghouse(
        "http://127.0.0.1:9/", sender_id="P", receiver_id="R", retries=1, sleep=lambda s: None
    )
    with pytest.raises(RealtimeFailed, match="could not reach the clearinghouse") as caught:
        core.exchange("ISA", payer_id="1")
    assert caught.value.retryable


def test_the_rate_limit_is_per_payer() -> None:
    clock = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    limiter = RateLimiter(rate=2.0, burst=1, clock=lambda: clock[0], sleep=sleep)
    assert limiter.acquire("A") == 0
    assert limiter.acquire("B") == 0  # another payer has its own bucket
    assert limiter.acquire("A") == pytest.approx(0.5)
    assert limiter.acquire("A") == pytest.approx(0.5)
    assert clock[0] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("answer", "status", "copay"),
    [(Answer(), "active", 2500), (Answer(status="inactive"), "inactive", None), (None, "not_found", None)],
)
def test_a_coverage_checked_end_to_end(
    coverage: Coverage, fake: FakeClearinghouse, answer: Answer | None, status: str, copay: int | None
) -> None:
    if answer is not None:
        fake.members[coverage.member_id] = answer
    core, _ = adapter(fake)
    check = check_coverage(
        coverage,
        clearinghouse=core,
        requester=REQUESTER,
        service_date=dt.date(2026, 11, 3),
        now=NOW,
        trigger=Trigger.CHECK_IN,
        visit_service_type="98",
    )
    assert check.status == status and check.copay_cents == copay
    assert check.service_types == ["30", "98"] and check.trigger == "check_in"
    assert fake.requests[0]["Payload"].count("EQ*") == 2


def test_a_garbled_answer_or_no_answer_is_recorded_as_could_not_verify(
    coverage: Coverage, fake: FakeClearinghouse
) -> None:
    fake.members[coverage.member_id] = Answer(status="garbage")
    core, _ = adapter(fake, retries=0)
    check = check_coverage(
        coverage, clearinghouse=core, requester=REQUESTER, service_date=dt.date(2026, 11, 3), now=NOW
    )
    assert check.status == "unverified" and "not a readable 271" in check.reason
    fake.fail_next.append(503)
    check = check_coverage(
        coverage, clearinghouse=core, requester=REQUESTER, service_date=dt.date(2026, 11, 3), now=NOW
    )
    assert check.status == "unverified" and "HTTP 503" in check.reason
