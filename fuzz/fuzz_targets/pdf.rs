//! Fuzz target: see `microcred::fuzzing::pdf`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| microcred::fuzzing::pdf(data));
