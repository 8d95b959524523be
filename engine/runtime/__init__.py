"""The Engine handle every use case takes: configuration, database, definitions, clock, events."""
