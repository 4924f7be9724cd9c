"""Deterministic sample exports with planted truth (see :mod:`cmokit.sample.generator`)."""


def generate(*args, **kwargs):
    """Write sample raw exports; see :func:`cmokit.sample.generator.generate`."""
    from cmokit.sample.generator import generate as _generate

    return _generate(*args, **kwargs)


__all__ = ["generate"]
