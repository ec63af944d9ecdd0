"""Comparing two recordings; a mismatch names the first difference."""

from __future__ import annotations

from typing import Any

from .fixtures import (
    FORMS,
    Scenario,
)
from .recording import (
    Recorder,
)
from .running import (
    run,
)


class Mismatch(AssertionError):
    """The recordings differ; ref_event/cand_event are the first differing events."""

    ref_event: Any = None
    cand_event: Any = None


def _fmt(x: Any) -> str:
    s = repr(x)
    return s if len(s) < 3000 else s[:3000] + "..."


_HOOK_ORIGINS = frozenset(
    {"before", "after", "before_sleep", "stop", "wait", "retry", "retry_error_callback"}
)


# pertinax's documented, deliberate differences from tenacity 9.2.1 (see the README's
# "Migrating from tenacity" table). They are aligned here, in one place, so that everything
# else about the same events is still compared.
def _deliberate(ref: Any, cand: Any) -> Any:
    """Return ``cand`` with the deliberate differences from ``ref`` aligned to ``ref``."""
    if isinstance(ref, dict) and isinstance(cand, dict):
        out = {k: _deliberate(ref.get(k), v) if k in ref else v for k, v in cand.items()}
        if "type" in ref and "context" in ref and out.get("type") == ref.get("type"):
            # 1. An error raised by a callback or a strategy keeps the failed attempt's
            #    exception as its __context__ (tenacity leaves it None).
            origin = out.get("origin") or ""
            raised_by_hook = (
                origin.startswith("raised-by-")
                or origin in _HOOK_ORIGINS
                or out.get("type") in ("CallbackError", "CallbackErrorProbe", "Runaway")
            )
            if raised_by_hook and ref.get("context") is None and out.get("context") is not None:
                out["context"] = None
            # 2. A strategy that is not callable gets a TypeError that names the strategy
            #    and the value, and ends with Python's own message (which tenacity raises).
            ref_str, cand_str = ref.get("str"), out.get("str")
            if (
                ref.get("type") == "TypeError"
                and isinstance(ref_str, str)
                and isinstance(cand_str, str)
                and ref_str.endswith("is not callable")
                and cand_str.endswith(ref_str)
            ):
                out["str"], out["repr"] = ref_str, ref.get("repr")
                # ... and, raised while evaluating the strategy, it keeps the attempt's
                # exception as its __context__ too (difference 1).
                if ref.get("context") is None:
                    out["context"] = None
        return out
    if isinstance(ref, (list, tuple)) and isinstance(cand, (list, tuple)) and len(ref) == len(cand):
        return type(cand)(_deliberate(r, c) for r, c in zip(ref, cand, strict=True))
    return cand


def compare(ref: list[Any], cand: list[Any], what: str) -> None:
    cand = _deliberate(ref, cand)
    if ref == cand:
        return
    n = next(
        (i for i, (a, b) in enumerate(zip(ref, cand, strict=False)) if a != b),
        min(len(ref), len(cand)),
    )
    msg = [f"difference in {what}", f"first differing event #{n}"]
    lo = max(0, n - 2)
    for i in range(lo, n):
        msg.append(f"  same      #{i}: {_fmt(ref[i])}")
    msg.append(f"  tenacity  #{n}: {_fmt(ref[n]) if n < len(ref) else '<no more events>'}")
    msg.append(f"  candidate #{n}: {_fmt(cand[n]) if n < len(cand) else '<no more events>'}")
    if isinstance(ref[n] if n < len(ref) else None, tuple) and n < len(cand):
        a, b = ref[n], cand[n]
        if isinstance(b, tuple) and len(a) == len(b):
            for j, (x, y) in enumerate(zip(a, b, strict=True)):
                if x != y:
                    if isinstance(x, dict) and isinstance(y, dict):
                        for key in sorted(set(x) | set(y)):
                            if x.get(key) != y.get(key):
                                msg.append(f"    field {j}.{key}: {x.get(key)!r} != {y.get(key)!r}")
                    else:
                        msg.append(f"    field {j}: {_fmt(x)} != {_fmt(y)}")
    err = Mismatch("\n".join(msg))
    err.ref_event = ref[n] if n < len(ref) else None
    err.cand_event = cand[n] if n < len(cand) else None
    raise err


def check(
    sc: Scenario,
    ref: Any,
    cand: Any,
    forms: tuple[str, ...] = FORMS,
    policy: bool = False,
    registered: bool = False,
) -> list[Any]:
    """Run the scenario under both libraries in every form (through a ``Policy`` with
    ``policy``, decorating by its registered name with ``registered``); raise Mismatch on a
    difference. Returns the reference recordings (for coverage events)."""
    out = []
    for form in forms:
        a = run(ref, sc, form, policy, registered)
        b = run(cand, sc, form, policy, registered)
        compare(a, b, f"form={form}: {sc.source()}")
        out.append(a)
    return out


def observe(case: Any, lib: Any) -> Any:
    """Run a hand-written case (a function of the library returning data); an exception
    escaping it is part of the observation."""
    rec = Recorder(lib)
    try:
        return ("returned", case(lib, rec))
    except Mismatch:
        raise
    except BaseException as e:  # noqa: BLE001
        if isinstance(e, (KeyboardInterrupt, SystemExit, GeneratorExit)):
            raise
        return ("raised", rec.exc(e), rec.events)
