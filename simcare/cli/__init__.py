"""The command line: parse, call the library, print. Data goes to stdout, messages to stderr.

Exit codes: 0 success; 2 a usage or scenario error (the message names the file and key);
3 the output folder cannot be used (not empty without --force, not writable, disk full);
4 some simulations failed (a sweep's failed points are in points.csv; a comparison shows the
error); 5 `reproduce` got different numbers; 130 interrupted (a sweep can be resumed with
--resume). `exits` maps simcare's errors to them.

Each command imports the library when it runs, not at import: `simcare --help` then starts
without numpy, SimPy or the model (about 0.2 s instead of 0.35 s).
"""

from simcare.cli.app import app, main

__all__ = ["app", "main"]
