"""Sleep functions for the sync controller (tenacity's ``nap``)."""

# The module itself, not `from time import sleep`: tests patch `pertinax.nap.time.sleep`
# (or the global `time.sleep`) and `sleep` below must see the patch.
import time
import typing

if typing.TYPE_CHECKING:
    import threading


def sleep(seconds: float) -> None:
    """Block for ``seconds``; the default sleep of ``Retrying``.

    ``time.sleep`` is looked up on every call, so patching it in a test takes effect.
    """
    time.sleep(seconds)


class sleep_using_event:
    """A sleep that waits on ``event`` and returns early once the event is set."""

    def __init__(self, event: "threading.Event") -> None:
        self.event = event

    def __call__(self, timeout: float | None) -> None:
        # Event.wait returns as soon as the event is set, so a stop request cuts the nap short.
        self.event.wait(timeout=timeout)
