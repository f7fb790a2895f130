"""Shared test settings: hypothesis runs derandomized, so every run tests the same cases."""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "omnivault",
    derandomize=True,
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("omnivault")
