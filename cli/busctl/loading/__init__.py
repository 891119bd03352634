"""Loading: files on disk -> the bus model, with a Diagnostic (file:line:col) for every problem."""
