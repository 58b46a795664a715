"""The channel layer: Redis pub/sub, plus one call that publishes several group messages at once.

Pushes are at-most-once by design (what they carry is stored first, and clients catch up when they
reconnect), so pub/sub suits them: one PUBLISH per group and no per-socket queues in Redis.
channels_redis sends each group message on its own round trip, one at a time per process (a lock
guards the connection it shares with its subscriptions); a stored message goes to four groups, so
a busy web process spent its time waiting on Redis. `group_send_many` pipelines them on a
connection pool of its own instead.
"""

import asyncio
from typing import Any

from channels_redis.pubsub import RedisPubSubChannelLayer
from channels_redis.utils import create_pool
from redis import asyncio as aioredis


class RedisPubSubLayer(RedisPubSubChannelLayer):
    def __init__(self, *args: Any, hosts: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, hosts=hosts, **kwargs)
        self._hosts = hosts or []
        self._publishers: dict[asyncio.AbstractEventLoop, aioredis.Redis] = {}

    def _publisher(self) -> aioredis.Redis:
        """A client per event loop (a server process has one, for its whole life)."""
        loop = asyncio.get_running_loop()
        client = self._publishers.get(loop)
        if client is None:
            client = aioredis.Redis(connection_pool=create_pool(self._hosts[0]))
            self._publishers[loop] = client
        return client

    async def group_send_many(self, messages: list[tuple[str, dict[str, Any]]]) -> None:
        """Each (group, message), in one round trip to Redis."""
        if len(self._hosts) != 1:  # sharded: each group has its own server
            await asyncio.gather(*(self.group_send(group, message) for group, message in messages))
            return
        loop_layer = self._get_layer()
        pipe = self._publisher().pipeline(transaction=False)
        for group, message in messages:
            pipe.publish(loop_layer._get_group_channel_name(group), self.serialize(message))
        await pipe.execute()
