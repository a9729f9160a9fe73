import os

from hypothesis import settings

# Every verdict in the test suite passes the independent certificate check: a failed
# re-check raises CertificateFailure instead of quietly turning into "unknown".
os.environ["SYMGRAD_STRICT_CERTIFICATES"] = "1"

settings.register_profile("ci", max_examples=60, deadline=None)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
