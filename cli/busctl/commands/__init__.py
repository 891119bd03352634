"""One module per command: parse options, call the library, render, return an exit code."""
