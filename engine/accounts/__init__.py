"""People: users, groups and roles, log-in, API tokens and calendar-feed tokens."""
