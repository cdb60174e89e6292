"""Sentinelle: serverless monitor of social-media risk (brand scams, impersonation, leaks)."""

__version__ = "0.1.0"
