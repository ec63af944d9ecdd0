"""A Celery task retried by a pertinax policy, its waits spent in the broker.

Against a local Redis (see the README's Celery section):

    pip install 'pertinax[celery,redis]'                          # Celery and redis-py
    redis-server --port 6379 --save '' --appendonly no
    celery -A celery_app worker --pool=solo --loglevel=INFO      # in examples/
    python celery_app.py send                                     # in examples/

Without arguments it runs the task eagerly, in this process (no broker needed), so you can
see the policy at work: ``python examples/celery_app.py``.
"""

from __future__ import annotations

import os
import sys

from celery import Celery
from pertinax import Policy, retry_if_exception_type, stop_after_attempt, wait_exponential
from pertinax.integrations.celery import policy_task

REDIS = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
app = Celery("celery_app", broker=REDIS, backend=REDIS)

# Five attempts in all; 0.5 s, 1 s, 2 s... between them, spent in the broker (the worker runs
# other tasks meanwhile); only connection errors are worth another attempt.
FETCH_POLICY = Policy(
    "rates",
    stop=stop_after_attempt(5),
    wait=wait_exponential(multiplier=0.5, max=30),
    retry=retry_if_exception_type(ConnectionError),
    reraise=True,
)


@policy_task(app, policy=FETCH_POLICY, bind=True, name="example.fetch_rate")
def fetch_rate(self: object, currency: str) -> str:
    """Pretends the rates service is down for the first two attempts."""
    attempt = self.request.retries + 1  # type: ignore[attr-defined]
    print(f"attempt {attempt} for {currency}")
    if attempt < 3:
        raise ConnectionError("rates service unavailable")
    return f"1 EUR = 1.08 {currency}"


if __name__ == "__main__":
    if sys.argv[1:] == ["send"]:
        print(fetch_rate.delay("USD").get(timeout=60))
    else:
        # Eager: the same policy, retried in this process. The testing mode skips the waits
        # (and would cap the attempts) to keep the demo quick.
        from pertinax import testing

        app.conf.task_always_eager = True
        with testing.testing(attempts=5, cap=True):
            print(fetch_rate.delay("USD").get())
