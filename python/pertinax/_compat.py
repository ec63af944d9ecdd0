"""Let code that imports ``tenacity`` run on pertinax unchanged."""

import importlib
import importlib.metadata
import sys
import typing as t

_PACKAGE = __name__.rpartition(".")[0]

# tenacity's submodules that pertinax must provide.
_REQUIRED = ("_utils", "after", "before", "before_sleep", "nap", "retry", "stop", "wait")
# Submodules that may be missing: the async package while it is built, the Tornado
# integration whenever tornado is not installed.
_OPTIONAL = ("asyncio", "asyncio.retry", "tornadoweb")

# The tenacity release whose behaviour pertinax follows: what the distribution metadata
# reports for "tenacity" when no real tenacity is installed.
TENACITY_API_VERSION = "9.2.1"


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
    _provide_metadata()


class _TenacityDistribution(importlib.metadata.Distribution):
    """What ``importlib.metadata`` reports for "tenacity" while pertinax stands in for it:
    code that checks ``version("tenacity")`` before using a feature finds the release whose
    behaviour pertinax follows."""

    def read_text(self, filename: str) -> str | None:
        if filename == "METADATA":
            return (
                "Metadata-Version: 2.1\n"
                "Name: tenacity\n"
                f"Version: {TENACITY_API_VERSION}\n"
                "Summary: pertinax, installed as tenacity by pertinax.install_as_tenacity()\n"
            )
        return None

    def locate_file(self, path: t.Any) -> t.Any:
        import pathlib

        return pathlib.Path(__file__).parent / str(path)


class _TenacityFinder(importlib.metadata.DistributionFinder):
    def find_spec(self, *args: t.Any, **kwargs: t.Any) -> None:
        return None  # finds no modules: only the distribution's metadata

    def find_distributions(
        self, context: t.Any = importlib.metadata.DistributionFinder.Context()
    ) -> t.Iterator[importlib.metadata.Distribution]:
        name = getattr(context, "name", None)
        if name is None or name.replace("_", "-").lower() == "tenacity":
            yield _TenacityDistribution()


def _provide_metadata() -> None:
    # Only when no real tenacity is installed: an installed one keeps reporting itself.
    if any(isinstance(f, _TenacityFinder) for f in sys.meta_path):
        return
    try:
        importlib.metadata.distribution("tenacity")
    except importlib.metadata.PackageNotFoundError:
        sys.meta_path.append(_TenacityFinder())
