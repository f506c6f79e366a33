"""Lint: the policy schema and one module per lint code (rules/), run by runner, reported by reporters."""
