# A bounded queue that never blocks its producer: put() on a full queue drops the oldest item
# and counts it (micropython-async's RingbufQueue idea), get() waits on an Event. Used between
# the inference task (producer) and the MQTT and webhook senders (consumers); a sender pops an
# item and keeps it as its own "in flight" item until it is delivered.
# Memory: one list of `size` slots made once; items are the caller's (small tuples).
import asyncio


class RingQ:
    def __init__(self, size):
        self._q = [None] * size
        self._size = size
        self._head = 0          # index of the oldest item
        self._n = 0
        self._ev = asyncio.Event()
        self.dropped = 0        # items dropped because the queue was full
        self.put_count = 0

    def __len__(self):
        return self._n

    def put(self, item):
        """Append item; when full the oldest item is dropped (and counted) first."""
        if self._n == self._size:
            self._q[self._head] = None
            self._head = (self._head + 1) % self._size
            self._n -= 1
            self.dropped += 1
        self._q[(self._head + self._n) % self._size] = item
        self._n += 1
        self.put_count += 1
        self._ev.set()

    def pop(self):
        if not self._n:
            return None
        item = self._q[self._head]
        self._q[self._head] = None
        self._head = (self._head + 1) % self._size
        self._n -= 1
        return item

    def clear(self):
        while self._n:
            self.pop()

    async def wait(self):
        """Returns when an item is there."""
        while not self._n:
            self._ev.clear()
            await self._ev.wait()
