"""Errors a user can be shown as they are: every message says what went wrong and with which input."""

from __future__ import annotations


class InkLiftError(Exception):
    """Base class: the message is meant for people."""


class InputError(InkLiftError):
    """An input file cannot be used (corrupt, not an image, empty, too large, wrong type)."""


class FormatError(InkLiftError):
    """A document (InkML, SVG, project) is malformed, hostile or outside our bounds."""


class ModelError(InkLiftError):
    """A shipped model is missing, corrupt or does not match its manifest."""


class Cancelled(InkLiftError):
    """A job was cancelled by its caller; nothing it was producing was kept."""
