"""Everything that runs inside a simulation: no I/O, no printing, no imports of the CLI."""
