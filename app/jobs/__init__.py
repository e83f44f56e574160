"""Scheduled jobs: a declared list with stable ids, run by `flask --app wsgi scheduler`."""
