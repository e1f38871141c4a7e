//! Benchmarks only: see `benches/` and the `ffi-compare` script.
