"""One case against one policy: reading and checking cases, compiling rules, evaluating, results, and the API."""
