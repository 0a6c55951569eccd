"""Fixtures shared by the tests (the helpers themselves live in helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import ROOT


@pytest.fixture(scope="session")
def root() -> Path:
    """The repository's course folder."""
    return ROOT
