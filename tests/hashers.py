"""Argon2 at its cheapest, for the tests only.

Argon2 as production configures it spends about 0.3 s of a core on every hash and every check,
on purpose; the suite hashes and checks passwords hundreds of times. This is the same algorithm
and the same stored format (`argon2$argon2id$...`) with the smallest cost Argon2 allows.
tests/test_security.py checks the production settings themselves.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 8  # KiB: Argon2's minimum for one lane
    parallelism = 1
