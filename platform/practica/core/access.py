"""Open sockets follow access: when a session ends or someone's access changes, their sockets learn
it within moments, and every push and request over a socket is checked against the current state,
not the one at connect.

A *subject* is what access hangs on: one session, one staff login, one patient's portal account,
one practice. The services that end sessions or change access call `announce_on_commit(subjects)`;
after the commit, two things happen:

- each subject's *stamp*, a counter in Redis, is bumped. A socket notes the stamps of its subjects
  when it opens and reads them again (one MGET) before each push it passes on and each request it
  serves; a changed stamp sends it back to the database to authorise itself again. Pub/sub
  messages are at-most-once, so the stamp is what guarantees that nothing passes after a change.
- an "access.changed" message goes to each subject's channel group, so a quiet socket re-checks
  (and closes) at once rather than at its next push.

A stamp that is missing (never bumped, or Redis restarted) reads as None; after a restart it then
differs from the noted value and the socket re-checks itself once: safe either way. The stamps
also expire after STAMP_SECONDS, which at worst costs one needless re-check.

Channel groups of access subjects start with "access-": no practice schema can (schema names
have no hyphen), so they never meet a practice's own groups (practica.core.groups).
"""

import asyncio
import hashlib
import logging
import re
import time
from collections.abc import Iterable, Sequence
from typing import Any

from asgiref.sync import async_to_sync
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from redis import asyncio as aioredis

logger = logging.getLogger(__name__)

EVENT_TYPE = "access.changed"  # handled by AccessBoundConsumer.access_changed
STAMP_PREFIX = "practica:access:"
STAMP_SECONDS = 7 * 24 * 3600
# Close codes: the access is gone (clients do not reconnect), or it changed and a new socket
# would be authorised afresh (clients reconnect).
CLOSE_ACCESS_ENDED = 4403
CLOSE_ACCESS_CHANGED = 4409

Stamps = tuple[int | None, ...]


def now() -> float:
    """The clock idle limits are measured with (tests move it)."""
    return time.time()


# ---- subjects ------------------------------------------------------------------------------------


def session_subject(session_key: str) -> str:
    # Only a digest of the key leaves the process: group and key names are visible in Redis.
    return "session:" + hashlib.sha256(session_key.encode()).hexdigest()[:32]


def user_subject(user_id: object) -> str:
    """A staff login, at every practice it can enter."""
    return f"user:{user_id}"


def portal_account_subject(schema_name: str, account_id: object) -> str:
    return f"portal:{schema_name}:{account_id}"


def practice_subject(schema_name: str) -> str:
    """Everyone's sockets at one practice (suspension, the practice's security settings)."""
    return f"practice:{schema_name}"


def group_of(subject: str) -> str:
    return "access-" + re.sub(r"[^A-Za-z0-9_.-]", ".", subject)[:90]


# ---- stamps --------------------------------------------------------------------------------------

# Without Redis (development only: one process), the stamps live here.
_local_stamps: dict[str, int] = {}
_async_clients: dict[asyncio.AbstractEventLoop, aioredis.Redis] = {}


def _sync_client() -> Any:
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _async_client() -> aioredis.Redis:
    """This event loop's client, closed with the loop (as practica.core.channel_layer does)."""
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        client = _async_clients[loop] = aioredis.Redis.from_url(settings.REDIS_URL)
        close_loop = loop.close

        def close_with_client() -> None:
            owned = _async_clients.pop(loop, None)
            if owned is not None and not loop.is_running():
                loop.run_until_complete(owned.aclose())
            close_loop()

        loop.close = close_with_client  # type: ignore[method-assign]
    return client


def _keys(subjects: Sequence[str]) -> list[str]:
    return [STAMP_PREFIX + subject for subject in subjects]


def _as_stamps(values: Iterable[Any]) -> Stamps:
    return tuple(None if value is None else int(value) for value in values)


def bump(subjects: Sequence[str]) -> None:
    if not settings.REDIS_URL:
        for subject in subjects:
            _local_stamps[subject] = _local_stamps.get(subject, 0) + 1
        return
    pipe = _sync_client().pipeline(transaction=False)
    for key in _keys(subjects):
        pipe.incr(key)
        pipe.expire(key, STAMP_SECONDS)
    pipe.execute()


def read_stamps(subjects: Sequence[str]) -> Stamps:
    if not settings.REDIS_URL:
        return tuple(_local_stamps.get(subject) for subject in subjects)
    return _as_stamps(_sync_client().mget(_keys(subjects)))


async def aread_stamps(subjects: Sequence[str]) -> Stamps:
    if not settings.REDIS_URL:
        return read_stamps(subjects)
    return _as_stamps(await _async_client().mget(_keys(subjects)))


# ---- announcing a change -------------------------------------------------------------------------


async def _publish(groups: list[str]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": EVENT_TYPE}
    many = getattr(layer, "group_send_many", None)  # practica.core.channel_layer: one round trip
    if many is not None:
        await many([(group, message) for group in groups])
    else:
        await asyncio.gather(*(layer.group_send(group, message) for group in groups))


def announce(subjects: Sequence[str]) -> None:
    """Bump the stamps, then tell the sockets. A failed message is logged: the stamps still hold."""
    subjects = list(dict.fromkeys(subjects))
    if not subjects:
        return
    try:
        bump(subjects)
    except Exception:
        # The database change stands; sockets still re-check at their next idle check.
        logger.exception("access stamps not bumped", extra={"subjects": subjects})
    try:
        async_to_sync(_publish)([group_of(subject) for subject in subjects])
    except Exception:
        logger.exception("access change not published", extra={"subjects": subjects})


def announce_on_commit(subjects: Iterable[str]) -> None:
    """After the current transaction commits (at once outside one): see the module docstring."""
    chosen = list(subjects)
    transaction.on_commit(lambda: announce(chosen))


# ---- the socket side -----------------------------------------------------------------------------


class Grant:
    """What a socket may do, as last authorised: its subjects, and until when its session lasts
    without activity (a clock time, see `now`)."""

    def __init__(self, subjects: Sequence[str], idle_deadline: float) -> None:
        self.subjects = list(subjects)
        self.idle_deadline = idle_deadline


class AccessBoundConsumer(AsyncJsonWebsocketConsumer):
    """A socket that lives only as long as the access it was opened with.

    Subclasses implement `authorise()`: run in a database thread, it reads the session and the
    person's access afresh and returns a Grant, or None when the access is gone. `follow_access`
    (once the socket is accepted) joins the subjects' groups and starts the idle watch; every push
    and request then goes through `access_holds()` first."""

    access_grant: Grant | None = None
    access_stamps: Stamps = ()
    access_ended: bool = False
    _access_groups: list[str]
    _access_watch: "asyncio.Task[None] | None" = None

    async def authorise(self) -> Grant | None:
        raise NotImplementedError

    async def access_changed_since_connect(self) -> bool:
        """Whether a re-check found the access changed in a way that calls for a new socket
        (a new role, say); the base class has nothing of the kind."""
        return False

    async def open_access(self, subjects: Sequence[str]) -> Grant | None:
        """Note the stamps, then authorise: a change committed in between shows as a new stamp."""
        self.access_stamps = await aread_stamps(subjects)
        grant = await self.authorise()
        self.access_grant = grant
        return grant

    async def follow_access(self) -> None:
        assert self.access_grant is not None
        self._access_groups = [group_of(subject) for subject in self.access_grant.subjects]
        for group in self._access_groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self._access_watch = asyncio.ensure_future(self._watch())

    async def _watch(self) -> None:
        """Idle limits apply to sockets too: a socket nobody uses still checks its session now and
        then, and closes once the session has run out (a page used meanwhile keeps it alive)."""
        interval = float(settings.SOCKET_ACCESS_CHECK_SECONDS)
        while not self.access_ended:
            await asyncio.sleep(interval)
            await self.access_holds()

    async def access_holds(self) -> bool:
        """Check before a push or a request: cheap (a clock comparison and one MGET) unless
        something changed, then a full re-check in the database. Closes the socket when the
        access is gone; returns whether to go on."""
        grant = self.access_grant
        if self.access_ended or grant is None:
            return False
        stamps = await aread_stamps(grant.subjects)
        if stamps == self.access_stamps and now() < grant.idle_deadline:
            return True
        return await self._reauthorise(stamps)

    async def _reauthorise(self, stamps: Stamps | None = None) -> bool:
        assert self.access_grant is not None
        if stamps is None:
            stamps = await aread_stamps(self.access_grant.subjects)
        grant = await self.authorise()
        if grant is None:
            await self.end_access(CLOSE_ACCESS_ENDED)
            return False
        if await self.access_changed_since_connect():
            await self.end_access(CLOSE_ACCESS_CHANGED)
            return False
        self.access_grant, self.access_stamps = grant, stamps
        return True

    async def access_changed(self, message: dict[str, Any]) -> None:
        if not self.access_ended and self.access_grant is not None:
            await self._reauthorise()

    async def end_access(self, code: int) -> None:
        """Close, and from now on pass nothing on and serve nothing (a client may still have
        frames in flight)."""
        if self.access_ended:
            return
        self.access_ended = True
        await self.leave_groups()
        await self.close(code=code)

    async def leave_groups(self) -> None:
        """Subclasses leave their own groups too (and call this)."""
        for group in getattr(self, "_access_groups", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        self._access_groups = []
        watch = self._access_watch
        if watch is not None and watch is not asyncio.current_task():
            watch.cancel()
        self._access_watch = None

    async def disconnect(self, code: int) -> None:
        self.access_ended = True
        await self.leave_groups()
