"""gunicorn settings for the baseline app when the benchmark pins workers (``--cpu-affinity auto``):
the same pre_fork/post_fork hooks as ``pufabot serve``, so both servers run on the same settings."""

from bot.serving import affinity_hooks

globals().update(affinity_hooks())
