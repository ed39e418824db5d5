"""Readers and writers for Flok's file formats, every error naming file, row and field."""
