"""Tickets: a tracking number for the customer or a link to an external helpdesk."""
