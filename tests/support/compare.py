"""Comparing mart rows from two warehouses: floats to nine significant places, NaN equal to NaN."""

from __future__ import annotations

import math

import pytest


def same(a, b) -> bool:
    """Whether two values (or rows, or lists) are equal, floats up to 1e-9."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-9, abs=1e-9)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b
