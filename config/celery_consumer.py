"""The worker's consumer (CELERY_WORKER_CONSUMER): Celery's own, except that a lost broker
connection no longer kills the worker when it holds a task it has not acknowledged.

With Celery 5.7.0 and kombu 5.7.0 on Redis, a connection lost while any message is delivered
and unacknowledged (every task here is acks_late, so any task running or prefetched) ends the
worker with "Unrecoverable error: AttributeError: 'NoneType' object has no attribute
'hostname'": the consumer first collects the lost connection, which detaches its transport,
then closes it, and closing the channel tries to put the unacknowledged messages back on the
queue through a Redis client built from that detached transport. The worker and its beat then
exit, and nothing is dispatched or sent until someone starts them again (a Redis restart during
the drill tests/drills/test_fault_outbox.py left 32 confirmations unsent).

Putting them back could not work anyway: the broker is out of reach. So the channels are told
not to try. What they held is recovered as it would be had the attempt failed: a task still
running finishes (Celery does not cancel it) and records its messages in the database; a
message still in a Redis that kept its data is redelivered after the visibility timeout; one
lost with a Redis restarted empty is a claim the outbox gives back (aftercare/outbox.py). Each
send takes its message by compare-and-set (sending/delivery.py), so a redelivery sends nothing
twice.
"""

from celery.worker import state
from celery.worker.consumer import Consumer as CeleryConsumer


class Consumer(CeleryConsumer):
    def on_connection_error_after_connected(self, exc):
        if self.connection is not None:
            for channel in getattr(self.connection.transport, "channels", ()):
                channel.do_restore = False
        # The tasks received over the lost connection (running, or handed to the pool) cannot
        # be acknowledged on it: the closed channel has no transport left, and an ack would
        # raise the same AttributeError when the task ends. They count as settled here.
        for request in (*state.reserved_requests, *state.active_requests):
            request.acknowledged = True
        super().on_connection_error_after_connected(exc)
