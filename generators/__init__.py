"""How to make data: the Faker provider, the Hypothesis strategies, the mutators that break a
bundle for one named code, the PDF and zip makers, the rejection cases.

This module imports nothing heavy: ``segur generate --help`` reads its constants.
"""

#: the largest seed a bundle is drawn from (a 32-bit unsigned integer)
MAX_SEED = 2**32 - 1
