"""Development and test helpers (the WeChat API stand-in); never imported by production code."""
