"""The Ségur numérique conformance kit.

One installed namespace holds the kit, so that nothing in an editor's repository shadows it:
``segur.mock_portal`` (the mock portal and its automatic controls), ``segur.generators``,
``segur.conformance`` (the pytest plugin and suite), ``segur.fixtures`` (the spec folders, data
only) and the command line (``segur.cli``). This module imports nothing: a command or the
pytest plugin pays only for what it uses.
"""

__version__ = "0.2.0"

#: the environment variable naming the spec folder in force (else the kit's own model)
SPEC_ENV = "SEGUR_SPEC"
