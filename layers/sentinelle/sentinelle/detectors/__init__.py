"""The detectors. Each built-in one is imported (and so registered) when first asked for: a scan
function that runs one detector does not pay for importing the others."""

from sentinelle.detectors.base import BUILTIN, Context, Detector, get, register, registry
from sentinelle.ports import Query

__all__ = ["BUILTIN", "Context", "Detector", "Query", "get", "register", "registry"]
