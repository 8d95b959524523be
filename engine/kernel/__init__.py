"""The ground every part stands on: errors, time, the calendar, cron, domain events."""
