"""Deterministic sample exports with planted truth (see :mod:`cmokit.sample.generator`)."""

from cmokit.sample.generator import generate

__all__ = ["generate"]
