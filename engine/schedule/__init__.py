"""Time-driven work: due deadlines, recurring obligations, the agreement's renewal, the scheduler."""
