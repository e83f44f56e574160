"""Satisfaction surveys: sent on resolution by a job, answered on a public page."""
