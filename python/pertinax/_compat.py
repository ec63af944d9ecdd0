"""Let code that imports ``tenacity`` run on pertinax unchanged."""

import importlib
import sys

_PACKAGE = __name__.rpartition(".")[0]

# tenacity's submodules that pertinax must provide.
_REQUIRED = ("_utils", "after", "before", "before_sleep", "nap", "retry", "stop", "wait")
# Submodules that may be missing: the async package while it is built, the Tornado
# integration whenever tornado is not installed.
_OPTIONAL = ("asyncio", "asyncio.retry", "tornadoweb")


def install_as_tenacity() -> None:
    """Make ``import tenacity`` (and its submodules) give pertinax's modules.

    Call it once, early, before the code that imports tenacity; calling it again is
    harmless. Entries of an already imported real tenacity are replaced in
    ``sys.modules``, but objects taken from it before the call keep pointing at it.
    Modelled on ``pymysql.install_as_MySQLdb()``.
    """
    package = importlib.import_module(_PACKAGE)
    aliases = {"tenacity": package}
    for name in _REQUIRED:
        # import_module, not getattr: the attribute `retry` is the decorator, while
        # the module lives only in sys.modules, exactly as in tenacity.
        aliases[f"tenacity.{name}"] = importlib.import_module(f"{_PACKAGE}.{name}")
    for name in _OPTIONAL:
        try:
            aliases[f"tenacity.{name}"] = importlib.import_module(f"{_PACKAGE}.{name}")
        except ImportError:
            pass
    # Every other pertinax module already loaded (_outcome, the native module, ...) gets
    # its tenacity name too, so `import tenacity.<it>` cannot load a second copy of it.
    prefix = f"{_PACKAGE}."
    for name, module in list(sys.modules.items()):
        if name.startswith(prefix) and module is not None:
            aliases.setdefault(f"tenacity.{name[len(prefix) :]}", module)

    # Drop what is left of a real tenacity: its modules would hand out its own classes.
    for name in [n for n in sys.modules if n.startswith("tenacity.") and n not in aliases]:
        del sys.modules[name]
    sys.modules.update(aliases)
