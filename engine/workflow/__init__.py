"""Workflow definitions as data, their shared state machines, guards and effects."""
