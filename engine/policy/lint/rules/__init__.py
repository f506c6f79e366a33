"""One module per lint rule, named by its code. The registry in ``engine.policy.lint.registry`` lists them."""
