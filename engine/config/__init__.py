"""Deployment configuration: config.toml read once into frozen, typed objects."""
