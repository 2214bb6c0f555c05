"""The base of every typed config model, in every layer: unknown keys refused, values frozen.

A key the model does not know is an error naming it (a typo is never a silent default), and a
loaded config cannot be changed in place by the code that reads it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A config table: extra keys forbidden, the model frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)
