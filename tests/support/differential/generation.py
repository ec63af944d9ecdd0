"""Hypothesis strategies that generate scenarios and strategy expressions as source text."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from .fixtures import (
    OMIT,
    Scenario,
)

EXC_NAMES = ("ErrA", "ErrB", "ErrC", "ErrD", "ValueError", "OSError", "KeyError")
MESSAGES = ("", "boom", "retry me", "bad {x}")
RESULTS = (None, "ok", "again", 0, 1.5)


def _combine(
    children: st.SearchStrategy[tuple[str, bool]], ops: tuple[str, str], funcs: tuple[str, str]
) -> st.SearchStrategy[tuple[str, bool]]:
    """Combine (source, is_base) expressions with an infix operator or a combinator call.
    An infix operator needs a strategy object on the left; a plain callable goes right."""

    @st.composite
    def comb(draw: Any) -> tuple[str, bool]:
        how = draw(st.sampled_from(ops + funcs))
        if how in funcs:
            members = draw(st.lists(children, min_size=0, max_size=3))
            return f"{how}({', '.join(m for m, _ in members)})", True
        a, b = draw(children), draw(children)
        if not a[1]:
            a, b = b, a
        if not a[1]:
            return f"{funcs[0]}({a[0]}, {b[0]})", True
        return f"({a[0]} {how} {b[0]})", True

    return comb()


# Delay limits a real run can't be near: always reached (0) or never reached (1e9 s).
# 1e9 + 0.5 for stop_before_delay: an upcoming sleep of exactly 1e9 (10**9 from
# wait_exponential(exp_base=10)) would need half a second of elapsed time to cross it.
RUN_DELAYS = ("0", "0.0", "1e9", "timedelta(0)", "timedelta(days=20000)")
RUN_BEFORE_DELAYS = ("0", "1e9 + 0.5", "timedelta(0)")
# For direct evaluation on a state whose timestamps the test sets, any limit is fine.
ANY_DELAYS = ("0", "1", "0.5", "2.5", "timedelta(seconds=1)", "3", "1e9")


def stops(
    delays: tuple[str, ...] = RUN_DELAYS, before_delays: tuple[str, ...] = RUN_BEFORE_DELAYS
) -> st.SearchStrategy[str]:
    base = st.one_of(
        st.just(("stop_never", True)),
        st.integers(0, 6).map(lambda n: (f"stop_after_attempt({n})", True)),
        st.sampled_from(delays).map(lambda d: (f"stop_after_delay({d})", True)),
        st.sampled_from(before_delays).map(lambda d: (f"stop_before_delay({d})", True)),
        st.sampled_from(["EVENT_SET", "EVENT_UNSET"]).map(
            lambda e: (f"stop_when_event_set({e})", True)
        ),
    )
    plain = st.sampled_from(["probe_stop", "(lambda rs: rs.attempt_number >= 4)"]).map(
        lambda s: (s, False)
    )
    tree = st.recursive(
        st.one_of(base, base, plain),
        lambda ch: _combine(ch, ("|", "&"), ("stop_any", "stop_all")),
        max_leaves=4,
    )
    return tree.map(lambda t: t[0])


_NUM = st.sampled_from(["0", "1", "2", "3", "0.5", "1.5", "0.1", "10", "2.5"])


def _kwargs(**opts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    @st.composite
    def make(draw: Any) -> str:
        parts = []
        for k, s in opts.items():
            v = draw(st.one_of(st.none(), s))
            if v is not None:
                parts.append(f"{k}={v}")
        return ", ".join(parts)

    return make()


_EXP = dict(
    multiplier=st.sampled_from(["1", "2", "0.5", "3", "0", "1e-3", "-1", "1.0"]),
    max=st.sampled_from(
        ["10", "40", "100.5", "inf", "0", "1e-100", "timedelta(seconds=30)", "2**70", "7"]
    ),
    exp_base=st.sampled_from(["2", "3", "1.5", "1", "0.5", "10", "2.0"]),
    min=st.sampled_from(["0", "1", "5", "0.25", "20", "timedelta(seconds=2)", "0.0"]),
)


def waits(falsy: bool = True) -> st.SearchStrategy[str]:
    base = st.one_of(
        _NUM.map(lambda n: (f"wait_fixed({n})", True)),
        st.just(("wait_fixed(timedelta(milliseconds=1500))", True)),
        st.just(("wait_none()", True)),
        _kwargs(
            start=st.sampled_from(["0", "1", "-5", "2.5", "100"]),
            increment=st.sampled_from(["0", "1", "100", "-2", "0.5"]),
            max=st.sampled_from(["5", "250.5", "0", "timedelta(seconds=3)"]),
        ).map(lambda a: (f"wait_incrementing({a})", True)),
        _kwargs(**_EXP).map(lambda a: (f"wait_exponential({a})", True)),
        st.just(("wait_exponential(multiplier=1e300, max=1e-100)", True)),
        _kwargs(
            min=st.sampled_from(["0", "1", "0.5"]), max=st.sampled_from(["1", "2", "5.5", "0"])
        ).map(lambda a: (f"wait_random({a})", True)),
        st.tuples(
            st.sampled_from(["wait_random_exponential", "wait_full_jitter"]), _kwargs(**_EXP)
        ).map(lambda t: (f"{t[0]}({t[1]})", True)),
        _kwargs(
            initial=st.sampled_from(["1", "2"]),
            max=st.sampled_from(["60", "10", "0.5", "timedelta(seconds=20)"]),
            exp_base=st.sampled_from(["2", "3", "1.5"]),
            jitter=st.sampled_from(["0", "1", "0.5", "timedelta(seconds=1)"]),
            min=st.sampled_from(["0", "5", "timedelta(seconds=1)"]),
            multiplier=st.sampled_from(["1", "10", "0.5"]),
        ).map(lambda a: (f"wait_exponential_jitter({a})", True)),
        st.just(("wait_exception(lambda e: len(str(e)))", True)),
    )
    plain = st.sampled_from(
        [
            "probe_wait",
            "(lambda retry_state: retry_state.attempt_number * 0.25)",
            "(lambda retry_state: retry_state.attempt_number)",
        ]
    ).map(lambda s: (s, False))

    @st.composite
    def chain(draw: Any, ch: Any) -> tuple[str, bool]:
        members = draw(st.lists(ch, min_size=1, max_size=3))
        return f"wait_chain({', '.join(m for m, _ in members)})", True

    @st.composite
    def summed(draw: Any, ch: Any) -> tuple[str, bool]:
        members = draw(st.lists(ch.filter(lambda t: t[1]), min_size=1, max_size=3))
        return f"sum([{', '.join(m for m, _ in members)}])", True

    @st.composite
    def plus(draw: Any, ch: Any) -> tuple[str, bool]:
        a, b = draw(ch), draw(ch)
        if not a[1] and not b[1]:
            return f"wait_combine({a[0]}, {b[0]})", True
        return f"({a[0]} + {b[0]})", True  # callable + wait goes through __radd__

    tree = st.recursive(
        st.one_of(base, base, plain),
        lambda ch: st.one_of(
            chain(ch),
            summed(ch),
            plus(ch),
            st.lists(ch, max_size=3).map(
                lambda ms: (f"wait_combine({', '.join(m for m, _ in ms)})", True)
            ),
        ),
        max_leaves=4,
    )
    exprs = tree.map(lambda t: t[0])
    if not falsy:
        return exprs
    return st.one_of(exprs, exprs, st.sampled_from(["0", "None", "0.0", "False", "sum([])"]))


def _types() -> st.SearchStrategy[str]:
    one = st.sampled_from(list(EXC_NAMES) + ["Exception", "BaseException", "Halt"])
    return st.one_of(
        st.just(""),
        one,
        st.lists(one, min_size=1, max_size=3, unique=True).map(lambda ts: f"({', '.join(ts)},)"),
    )


def retries() -> st.SearchStrategy[str]:
    base = st.one_of(
        _types().map(lambda t: (f"retry_if_exception_type({t})", True)),
        _types().map(lambda t: (f"retry_if_not_exception_type({t})", True)),
        _types().map(lambda t: (f"retry_unless_exception_type({t})", True)),
        _types().filter(bool).map(lambda t: (f"retry_if_exception_cause_type({t})", True)),
        st.tuples(
            st.sampled_from(["retry_if_exception_message", "retry_if_not_exception_message"]),
            st.sampled_from(
                [
                    "message='boom'",
                    "message=''",
                    "'retry me'",
                    "match='b'",
                    "match='.*me'",
                    "match=re.compile('B', re.I)",
                    "match='boom$'",
                ]
            ),
        ).map(lambda t: (f"{t[0]}({t[1]})", True)),
        st.just(("retry_if_exception(lambda e: 'o' in str(e))", True)),
        st.sampled_from(
            [
                "retry_if_result(lambda v: v is None)",
                "retry_if_result(lambda v: v == 'again')",
                "retry_if_not_result(lambda v: v == 'ok')",
            ]
        ).map(lambda s: (s, True)),
        st.sampled_from(["retry_always", "retry_never"]).map(lambda s: (s, True)),
    )
    plain = st.sampled_from(
        ["probe_retry", "(lambda rs: rs.outcome.failed and rs.attempt_number < 3)"]
    ).map(lambda s: (s, False))

    @st.composite
    def comb(draw: Any, ch: Any) -> tuple[str, bool]:
        how = draw(st.sampled_from(["|", "&", "retry_any", "retry_all"]))
        if how in ("retry_any", "retry_all"):
            ms = draw(st.lists(ch, max_size=3))
            return f"{how}({', '.join(m for m, _ in ms)})", True
        a, b = draw(ch), draw(ch)
        if not a[1] and not b[1]:
            return f"retry_{'any' if how == '|' else 'all'}({a[0]}, {b[0]})", True
        return f"({a[0]} {how} {b[0]})", True  # plain | base works through __ror__

    tree = st.recursive(st.one_of(base, base, plain), comb, max_leaves=4)
    return tree.map(lambda t: t[0])


def _raise_step() -> st.SearchStrategy[tuple[Any, ...]]:
    exc = st.sampled_from(EXC_NAMES)
    msg = st.sampled_from(MESSAGES)
    return st.tuples(st.just("raise"), exc, msg, st.one_of(st.none(), st.tuples(exc, msg)))


def _try_again_step() -> st.SearchStrategy[tuple[Any, ...]]:
    exc = st.sampled_from(EXC_NAMES)
    msg = st.sampled_from(MESSAGES)
    return st.tuples(st.just("tryagain"), st.sampled_from([None, "cause", "context"]), exc, msg)


def steps() -> st.SearchStrategy[tuple[Any, ...]]:
    msg = st.sampled_from(MESSAGES)
    raise_ = _raise_step()
    ret = st.tuples(st.just("return"), st.sampled_from(RESULTS))
    again = _try_again_step()
    halt = st.tuples(st.just("halt"), msg)
    # weights: raise 3, return 3, TryAgain 1; a BaseException (which ends most runs) rarely
    kind = st.sampled_from(["raise"] * 9 + ["return"] * 9 + ["tryagain"] * 3 + ["halt"])
    return kind.flatmap(
        lambda k: {"raise": raise_, "return": ret, "tryagain": again, "halt": halt}[k]
    )


@st.composite
def scenarios(draw: Any) -> Scenario:
    def opt(s: st.SearchStrategy[Any]) -> Any:
        return draw(st.one_of(st.none(), s))

    stop = opt(stops())
    if stop is None or draw(st.booleans()):
        # usually also bound by an attempt count, so that not every case hits the Runaway guard
        n = draw(st.integers(1, 6))
        bound = f"stop_after_attempt({n})"
        stop = bound if stop is None else f"stop_any({stop}, {bound})"
        if draw(st.integers(0, 9)) == 0:
            stop = None
    raise_in = None
    if draw(st.integers(0, 9)) == 0:
        raise_in = (
            draw(
                st.sampled_from(
                    [
                        "before",
                        "after",
                        "before_sleep",
                        "sleep",
                        "retry_error_callback",
                        "probe_retry",
                        "probe_stop",
                        "probe_wait",
                    ]
                )
            ),
            draw(st.integers(1, 3)),
        )
    calls = draw(st.sampled_from([1, 1, 1, 2]))
    # mostly a few failures first, so that most runs retry and sleep at least once
    failures = st.one_of(_raise_step(), _raise_step(), _raise_step(), _try_again_step())
    script = draw(st.lists(failures, max_size=3)) + draw(st.lists(steps(), min_size=1, max_size=4))
    return Scenario(
        script=tuple(script),
        stop=stop,
        wait=draw(st.one_of(waits(), waits(), waits(), waits(), st.none())),
        retry=draw(st.one_of(retries(), retries(), retries(), st.none())),
        reraise=opt(st.booleans()),
        before=draw(st.sampled_from([OMIT, "None", "rec", "rec"])),
        after=draw(st.sampled_from([OMIT, "None", "rec", "rec"])),
        before_sleep=draw(st.sampled_from([OMIT, "None", "rec", "rec"])),
        retry_error_callback=draw(
            st.sampled_from([OMIT, OMIT, "None", "value", "outcome", "falsy"])
        ),
        retry_error_cls=draw(st.sampled_from([OMIT, OMIT, "MyRetryError", "ValueError", "lambda"])),
        name=opt(st.sampled_from(["named", ""])),
        enabled=draw(st.sampled_from([None, None, None, None, None, None, True, False])),
        raise_in=raise_in,
        seed=draw(st.integers(0, 1000)),
        calls=calls,
        mutate=calls > 1 and draw(st.booleans()),
    )
