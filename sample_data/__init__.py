"""A seeded generator of realistic, dirty Israeli member files (no real person's data)."""
