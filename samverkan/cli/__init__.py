"""The `samverkan` command line for operators, scripts and cron."""
