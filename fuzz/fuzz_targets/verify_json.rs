//! Fuzz target: see `microcred::fuzzing::verify_json`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| microcred::fuzzing::verify_json(data));
