//! `bench`: how fast this machine evaluates one image, in-process.
//!
//! The image (a `dir:` layout) and the policy are read once; then one [`PolicyContext`] shared by
//! `--threads` threads evaluates the image `--iterations` times in all, each evaluation timed on its own.
//! The threads take evaluations from one shared count, as workers take requests from a queue, so all of
//! them stay busy until the last evaluation: a thread whose CPU is slower (a neighbour on a shared host)
//! does fewer, instead of keeping the run going alone after the others have finished a fixed share.
//! What is measured is `PolicyContext::evaluate` — scope lookup, signature verification, payload and
//! digest checks — without file or network I/O, as a long-running process (CRI-O, podman service) pays it
//! per image after its first.

use std::{
    path::PathBuf,
    process::ExitCode,
    sync::{
        Barrier,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use clap::Args;
use containers_policy::{ImageReference, Policy, PolicyContext, UnparsedImage};
use serde_json::json;

/// Exit status when the inputs could not be read.
const EXIT_INPUT: u8 = 2;

#[derive(Args)]
pub(crate) struct BenchArgs {
    /// The policy.json.
    #[arg(long)]
    policy: PathBuf,
    /// The image, in the layout `skopeo copy … dir:DIR` writes (`manifest.json`, `signature-N`).
    #[arg(long)]
    dir: PathBuf,
    /// The transport reference to evaluate the directory as, e.g. `docker://quay.io/ns/app:1.0`
    /// (default `dir:DIR`).
    #[arg(long)]
    reference: Option<String>,
    /// Evaluations in all (taken by the threads from one shared count), after a short warm-up.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..))]
    iterations: u64,
    /// Threads sharing the one policy context.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1024))]
    threads: u64,
    /// Print one JSON object: `{"allowed", "error", "iterations", "threads", "seconds",
    /// "evals_per_sec", "mean_us", "p50_us", "p99_us", "cpu_us_per_eval"}` (the last is the process's CPU
    /// time per evaluation, from /proc; `null` where unavailable).
    #[arg(long)]
    json: bool,
}

/// What a run measured.
struct Report {
    allowed: bool,
    error: Option<String>,
    iterations: u64,
    threads: u64,
    elapsed: Duration,
    /// Per-evaluation latencies, sorted.
    latencies: Vec<Duration>,
    /// Process CPU time (user + system) spent during the measured part.
    cpu: Option<Duration>,
}

impl Report {
    fn evals_per_sec(&self) -> f64 {
        self.iterations as f64 / self.elapsed.as_secs_f64().max(f64::MIN_POSITIVE)
    }

    /// The `q` quantile (0..=1) of the latencies, in microseconds (nearest rank).
    fn quantile_us(&self, q: f64) -> f64 {
        let n = self.latencies.len();
        if n == 0 {
            return 0.0;
        }
        let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
        self.latencies[rank - 1].as_secs_f64() * 1e6
    }

    fn cpu_us_per_eval(&self) -> Option<f64> {
        self.cpu
            .map(|c| c.as_secs_f64() * 1e6 / self.iterations.max(1) as f64)
    }

    fn mean_us(&self) -> f64 {
        let total: Duration = self.latencies.iter().sum();
        total.as_secs_f64() * 1e6 / self.latencies.len().max(1) as f64
    }
}

pub(crate) fn bench(args: BenchArgs) -> ExitCode {
    let report = match run(&args) {
        Ok(r) => r,
        Err(message) => {
            if args.json {
                println!("{}", json!({"allowed": false, "error": message}));
            } else {
                eprintln!("{message}");
            }
            return ExitCode::from(EXIT_INPUT);
        }
    };
    let (eps, p50, p99, mean) = (
        report.evals_per_sec(),
        report.quantile_us(0.50),
        report.quantile_us(0.99),
        report.mean_us(),
    );
    if args.json {
        println!(
            "{}",
            json!({
                "allowed": report.allowed,
                "error": report.error,
                "iterations": report.iterations,
                "threads": report.threads,
                "seconds": report.elapsed.as_secs_f64(),
                "evals_per_sec": eps,
                "mean_us": mean,
                "p50_us": p50,
                "p99_us": p99,
                "cpu_us_per_eval": report.cpu_us_per_eval(),
            })
        );
    } else {
        let verdict = match &report.error {
            None => "allowed".to_owned(),
            Some(e) => format!("denied: {e}"),
        };
        println!(
            "{} evaluations on {} thread{} in {:.3} s: {eps:.0} evaluations/s, p50 {p50:.1} µs, p99 {p99:.1} µs, mean {mean:.1} µs{} (verdict: {verdict})",
            report.iterations,
            report.threads,
            if report.threads == 1 { "" } else { "s" },
            report.elapsed.as_secs_f64(),
            report
                .cpu_us_per_eval()
                .map(|c| format!(", {c:.1} µs CPU per evaluation"))
                .unwrap_or_default(),
        );
    }
    ExitCode::SUCCESS
}

fn run(args: &BenchArgs) -> Result<Report, String> {
    let policy = Policy::from_path(&args.policy).map_err(|e| e.to_string())?;
    let ctx = PolicyContext::new(policy);
    if !args.dir.is_dir() {
        return Err(format!("{}: not a directory", args.dir.display()));
    }
    let reference = match &args.reference {
        Some(r) => r.clone(),
        None => format!("dir:{}", args.dir.display()),
    };
    let reference = ImageReference::parse(&reference).map_err(|e| e.to_string())?;
    let image = UnparsedImage::from_dir(&args.dir, reference);
    if let Err(e) = image.manifest() {
        return Err(e.to_string());
    }
    let first = ctx.evaluate(&image);
    let error = first.result.as_ref().err().map(ToString::to_string);

    let threads = args.threads;
    // Evaluations started so far, by any thread.
    let taken = AtomicU64::new(0);
    let total = args.iterations;
    // Warm-up: caches, allocator arenas, CPU frequency.
    let warm = (args.iterations / 20).clamp(1, 2_000);
    let barrier = Barrier::new(usize::try_from(threads).unwrap_or(1) + 1);
    let (elapsed, per_thread, cpu) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (ctx, image, barrier, taken) = (&ctx, &image, &barrier, &taken);
                // About this thread's share (a faster thread takes more): its warm-up and room for latencies.
                let share = total.div_ceil(threads);
                s.spawn(move || {
                    for _ in 0..warm.min(share.max(1)) {
                        std::hint::black_box(ctx.evaluate(image));
                    }
                    let mut latencies =
                        Vec::with_capacity(usize::try_from(share + share / 4).unwrap_or_default());
                    barrier.wait();
                    while taken.fetch_add(1, Ordering::Relaxed) < total {
                        let start = Instant::now();
                        std::hint::black_box(ctx.evaluate(image));
                        latencies.push(start.elapsed());
                    }
                    latencies
                })
            })
            .collect();
        barrier.wait();
        let (start, cpu_start) = (Instant::now(), process_cpu_time());
        let per_thread: Vec<Vec<Duration>> = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect();
        let cpu = process_cpu_time()
            .zip(cpu_start)
            .map(|(end, start)| end.saturating_sub(start));
        (start.elapsed(), per_thread, cpu)
    });
    let mut latencies: Vec<Duration> = per_thread.into_iter().flatten().collect();
    latencies.sort_unstable();
    Ok(Report {
        allowed: error.is_none(),
        error,
        iterations: latencies.len() as u64,
        threads,
        elapsed,
        latencies,
        cpu,
    })
}

/// User + system CPU time of this process so far, from `/proc/self/stat` (in the kernel's fixed 1/100 s
/// units), or `None` where there is no such file.
fn process_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is parenthesized and may contain spaces: count fields after its end.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let mut fields = rest.split_ascii_whitespace();
    // Fields 14 (utime) and 15 (stime) are the 12th and 13th after the name.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}
