"""One module per lint rule, named by its code. The registry in ``engine.lint.registry`` lists them."""
