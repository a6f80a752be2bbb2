"""Redis plumbing: connections (server, cluster, embedded), Lua scripts, key names, dedupe, state, counters."""
