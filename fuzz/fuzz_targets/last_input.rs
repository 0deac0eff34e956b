//! Keeps the input a target is running in the file `WEIR_FUZZ_LAST_INPUT` names. A stack
//! overflow kills the target (built without a sanitizer) before libFuzzer can save the input;
//! `fuzz/run` then saves this file as the finding instead.

use std::path::PathBuf;
use std::sync::OnceLock;

pub fn keep(data: &[u8]) {
    static PATH: OnceLock<Option<PathBuf>> = OnceLock::new();
    let path = PATH.get_or_init(|| std::env::var_os("WEIR_FUZZ_LAST_INPUT").map(PathBuf::from));
    if let Some(path) = path {
        // A failed write only loses the input of an overflow, which `fuzz/run` then says.
        let _ = std::fs::write(path, data);
    }
}
