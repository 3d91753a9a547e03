"""Sub-commands of the ``cskpi`` CLI, one module each."""
