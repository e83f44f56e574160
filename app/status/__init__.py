"""The public transparency page of a brand (opt-in): HTML, JSON and an SVG badge."""
