"""What a change does and what the procedure says: diff, impact on cases, compare, and the published page."""
