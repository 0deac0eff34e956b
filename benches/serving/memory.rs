//! The most memory a process has held, as Linux says it (`VmHWM` in `/proc/PID/status`).

/// The peak resident memory of process `pid` (`self` for this one), in KiB; 0 where the
/// system does not say.
pub fn peak_kib(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
