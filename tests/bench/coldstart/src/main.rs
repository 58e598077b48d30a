//! The cold-start harness: runs each function's bootstrap as Lambda would,
//! under a minimal Lambda Runtime API emulator of its own, against DynamoDB
//! Local, and reports per function:
//!
//! - init: from process start to its first `GET /invocation/next`;
//! - first: from handing it its first event to its answer;
//! - cold: the two together, process start to first answer, and that as a
//!   ratio to the DynamoDB baseline's;
//! - cold − warm p50: what starting the process added to that answer, the
//!   handler's own work (a transaction, a year of rollups) taken out, and
//!   that as a ratio to the same for the DynamoDB baseline;
//! - warm p50 and p99 of the following invocations.
//!
//! Each function is started `--runs` times (median reported); each run then
//! answers `--warm` more events. Usage (see `tests/bench/coldstart.sh`):
//!
//! ```text
//! coldstart --bin-dir DIR --local-server FEEDBACK_BIN --endpoint URL
//! ```

mod emulator;
mod events;
mod seed;

use emulator::Emulator;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One function to start, and the events it answers.
struct Case {
    /// The row's name.
    label: &'static str,
    /// The binary in the bin directory.
    binary: &'static str,
    /// The event of invocation `i`.
    event: Box<dyn Fn(usize) -> String>,
    /// Whether an answer is the one the event should get (a refusal or an
    /// error would measure another path).
    expect: fn(&serde_json::Value) -> bool,
}

/// What to measure, and where.
#[derive(clap::Parser)]
struct Options {
    /// The directory of the built function and baseline binaries.
    #[arg(long)]
    bin_dir: PathBuf,
    /// The local server binary, which seeds the table.
    #[arg(long)]
    local_server: PathBuf,
    /// DynamoDB Local's URL.
    #[arg(long)]
    endpoint: String,
    /// Starts per function.
    #[arg(long, default_value_t = 7)]
    runs: usize,
    /// Invocations after the first, per start.
    #[arg(long, default_value_t = 20)]
    warm: usize,
}

/// What one start of a function measured.
struct Run {
    init: Duration,
    first: Duration,
    warm: Vec<Duration>,
}

/// Starts `binary` under a fresh emulator, hands it `1 + warm` events and
/// stops it.
async fn run(
    options: &Options,
    case: &Case,
    env: &[(String, String)],
    offset: usize,
) -> Result<Run, String> {
    let mut emulator = Emulator::start().await;
    let started = Instant::now();
    let mut child = tokio::process::Command::new(options.bin_dir.join(case.binary))
        .envs(env.iter().cloned())
        .env("AWS_LAMBDA_RUNTIME_API", emulator.address())
        .env("AWS_LAMBDA_FUNCTION_NAME", case.binary)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("{}: {e}", case.binary))?;
    let first_poll = emulator.first_poll().await?;
    let init = first_poll - started;
    let mut times = Vec::new();
    for i in 0..=options.warm {
        let (took, answer) = emulator.invoke((case.event)(offset + i)).await?;
        let parsed = serde_json::from_str(&answer).unwrap_or_default();
        if !(case.expect)(&parsed) {
            return Err(format!(
                "unexpected answer to event {}: {answer}",
                offset + i
            ));
        }
        times.push(took);
    }
    let first = times.remove(0);
    let warm = times;
    child.kill().await.ok();
    Ok(Run { init, first, warm })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn percentile(mut values: Vec<f64>, p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let options = <Options as clap::Parser>::parse();
    let table = format!("coldstart-{}", chrono::Utc::now().timestamp());
    let invocations = options.runs * (1 + options.warm);
    let data = seed::seed(
        &options.local_server,
        &options.endpoint,
        &table,
        invocations,
    )
    .await
    .unwrap_or_else(|e| panic!("seeding the table: {e}"));
    let env: Vec<(String, String)> = [
        ("DYNAMODB_ENDPOINT", options.endpoint.as_str()),
        ("DYNAMODB_TABLE", table.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/coldstart"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "coldstart"),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ("AWS_LAMBDA_LOG_LEVEL", "WARN"),
        ("TENANT_ID", "coldstart"),
        ("TENANT_TIME_ZONE", "Asia/Karachi"),
        ("PUBLIC_BASE_URL", "https://feedback.example"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();

    let cases = events::cases(std::sync::Arc::new(data));
    let mut rows = Vec::new();
    for case in &cases {
        let mut runs = Vec::new();
        for r in 0..options.runs {
            let offset = r * (1 + options.warm);
            match run(&options, case, &env, offset).await {
                Ok(run) => runs.push(run),
                Err(e) => panic!("{}: {e}", case.label),
            }
        }
        let init = median(runs.iter().map(|r| ms(r.init)).collect());
        let first = median(runs.iter().map(|r| ms(r.first)).collect());
        let cold = median(runs.iter().map(|r| ms(r.init + r.first)).collect());
        let warm: Vec<f64> = runs
            .iter()
            .flat_map(|r| r.warm.iter().copied().map(ms))
            .collect();
        rows.push((
            case,
            init,
            first,
            cold,
            percentile(warm.clone(), 50.0),
            percentile(warm, 99.0),
        ));
    }
    let baseline = rows
        .iter()
        .find(|r| r.0.binary == "dynamo-baseline")
        .map(|r| (r.3, r.3 - r.4))
        .expect("the DynamoDB baseline ran");
    println!(
        "| function (event) | bootstrap bytes | init ms | first ms | cold ms | cold / DynamoDB baseline | cold − warm p50 ms | that / DynamoDB baseline's | warm p50 ms | warm p99 ms |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (case, init, first, cold, p50, p99) in rows {
        println!(
            "| {} | {} | {init:.1} | {first:.1} | {cold:.1} | {:.2}× | {:.1} | {:.2}× | {p50:.2} | {p99:.2} |",
            case.label,
            size(&options.bin_dir.join(case.binary)),
            cold / baseline.0,
            cold - p50,
            (cold - p50) / baseline.1,
        );
    }
    println!(
        "\n{} starts per function (medians), {} warm invocations after each; table {table}.",
        options.runs, options.warm
    );
}
