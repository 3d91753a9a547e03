"""Reference data the run generates itself from packaged public sources (offline)."""
