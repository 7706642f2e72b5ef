"""Request/response models of the import upload endpoint."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RejectPublic(BaseModel):
    feature: str = Field(description="ext_id of the feature, or 'feature #n'")
    reason: str


class ImportSummaryPublic(BaseModel):
    """Counts of one import (the same summary as ``quvvat import --json``)."""

    layer: str
    source_name: str
    read: int = Field(ge=0)
    inserted: int = Field(ge=0)
    updated: int = Field(ge=0)
    rejected: int = Field(ge=0)
    repaired: int = Field(ge=0)
    rejects: list[RejectPublic] = Field(
        description="Rejected features with the reason (at most 1,000 listed)"
    )
    run_id: int | None
    layer_version: int | None
    notes: list[str]
