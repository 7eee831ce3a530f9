"""Renderers: they only format a Report (or facts); every view reads the same data."""
