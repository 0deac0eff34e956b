//! The `input` property of `weir::fuzzing`, fed by libFuzzer.
#![no_main]

mod last_input;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    last_input::keep(data);
    weir::fuzzing::run(weir::fuzzing::input, data);
});
