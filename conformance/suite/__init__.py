"""The conformance suite's tests, collected by ``pytest --segur`` (see ``segur.conformance.plugin``)."""
