"""What the engine reports: the steering-group report, health and metrics."""
