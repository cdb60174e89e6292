"""Placeholder for the `scams` detector (being written)."""

from sentinelle.detectors.base import Context, Detector, Query, register


@register
class _Placeholder(Detector):
    name = "scams"

    def plan(self, watchlist):
        return []

    def detect(self, item, ctx: Context):
        return []
