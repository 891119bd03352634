"""Pure core: model, diagnostics, units, ownership. No I/O beyond reading packaged data."""
