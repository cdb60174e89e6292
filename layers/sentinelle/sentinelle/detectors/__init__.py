"""The built-in detectors; importing this package registers them."""

from sentinelle.detectors import impersonation, leaks, scams  # noqa: F401
from sentinelle.detectors.base import Context, Detector, Query, get, register, registry

__all__ = ["Context", "Detector", "Query", "get", "register", "registry"]
