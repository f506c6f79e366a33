"""What every layer shares: the vocabulary of events and facts, durations, the working-day calendar, findings,
and safe output. It imports nothing else of cpc."""
