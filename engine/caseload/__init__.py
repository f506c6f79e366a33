"""Many cases: evaluating a caseload in parallel, the report on it, and a policy's own test cases."""
