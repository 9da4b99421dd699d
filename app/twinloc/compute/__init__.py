"""The compute pool and its result cache (``jobs``), and one thin module of jobs per feature (``<feature>_jobs``)."""
