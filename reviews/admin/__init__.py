"""Policy staff's admin: the policy as data, its runs, catalogues, and read-only records."""

from . import catalogue, policy, records  # noqa: F401 - registers the model admins
