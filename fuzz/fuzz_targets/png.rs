//! Fuzz target: see `microcred::fuzzing::png`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| microcred::fuzzing::png(data));
