"""Placeholder for the `impersonation` detector (being written)."""

from sentinelle.detectors.base import Context, Detector, Query, register


@register
class _Placeholder(Detector):
    name = "impersonation"

    def plan(self, watchlist):
        return []

    def detect(self, item, ctx: Context):
        return []
