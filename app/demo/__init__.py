"""Demo data for `make run`: users, a brand, channels and realistic threads."""
