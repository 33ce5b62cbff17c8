//! Parsing of durations (`"90s"`, `"5m"`, `"1h30m"`, `"7d"`; the parser
//! lives in the kernel, `sim::time`, so that any layer may read one) and of
//! ECS's task-level CPU and memory strings (`"1024"`, `"1 vCPU"`, `"2 GB"`).

pub use crate::sim::time::parse_duration;

/// Parses a task-level `cpu` value: an integer number of CPU units, or a
/// string `"1024"` / `"1 vCPU"` / `"0.25 vcpu"`.
pub fn parse_cpu(s: &str) -> Result<u32, String> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    if let Some(v) = lower.strip_suffix("vcpu") {
        let v: f64 = v.trim().parse().map_err(|_| cpu_expected(s))?;
        if v <= 0.0 || !v.is_finite() {
            return Err(cpu_expected(s));
        }
        return Ok((v * 1024.0).round() as u32);
    }
    t.parse::<u32>().map_err(|_| cpu_expected(s))
}

fn cpu_expected(s: &str) -> String {
    format!("expected CPU units such as 256 or \"1024\" or \"1 vCPU\", found \"{s}\"")
}

/// Parses a task-level `memory` value: an integer number of MiB, or a
/// string `"512"` / `"1 GB"` / `"0.5 gb"` (1 GB = 1024 MiB, as ECS counts).
pub fn parse_memory(s: &str) -> Result<u32, String> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    if let Some(v) = lower.strip_suffix("gb") {
        let v: f64 = v.trim().parse().map_err(|_| memory_expected(s))?;
        if v <= 0.0 || !v.is_finite() {
            return Err(memory_expected(s));
        }
        return Ok((v * 1024.0).round() as u32);
    }
    let t = lower
        .strip_suffix("mib")
        .or_else(|| lower.strip_suffix("mb"))
        .unwrap_or(&lower);
    t.trim().parse::<u32>().map_err(|_| memory_expected(s))
}

fn memory_expected(s: &str) -> String {
    format!("expected memory in MiB such as 512 or \"512\" or \"1 GB\", found \"{s}\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimDuration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(SimDuration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(SimDuration::from_mins(5)));
        assert_eq!(parse_duration("7d"), Ok(SimDuration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("1h30m"), Ok(SimDuration::from_mins(90)));
        assert_eq!(parse_duration("1.5h"), Ok(SimDuration::from_mins(90)));
        assert_eq!(parse_duration("250ms"), Ok(SimDuration(250)));
        for bad in ["", "90", "s", "5x", "1..2s", "-5s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert!(parse_duration("90").unwrap_err().contains("without a unit"));
    }

    #[test]
    fn cpu_and_memory() {
        assert_eq!(parse_cpu("1024"), Ok(1024));
        assert_eq!(parse_cpu("1 vCPU"), Ok(1024));
        assert_eq!(parse_cpu(".25 vcpu"), Ok(256));
        assert!(parse_cpu("lots").is_err());
        assert_eq!(parse_memory("2 GB"), Ok(2048));
        assert_eq!(parse_memory("512"), Ok(512));
        assert_eq!(parse_memory("0.5GB"), Ok(512));
        assert!(parse_memory("-1 GB").is_err());
    }
}
