"""kwire.AIOProducer: the asyncio producer (aiokafka's shape). Placeholder
until the non-blocking send lands."""

from __future__ import annotations


class AIOProducer:  # replaced below once try_send is available
    pass
