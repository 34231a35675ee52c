//! Fuzz target: see `microcred::fuzzing::csv_batch`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| microcred::fuzzing::csv_batch(data));
