//! The `eval` property of `weir::fuzzing`, fed by libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| weir::fuzzing::run(weir::fuzzing::eval, data));
