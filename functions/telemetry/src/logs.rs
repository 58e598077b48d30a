//! A Lambda function's log lines, as Lambda's advanced logging controls
//! ask for them.

use tracing_subscriber::filter::LevelFilter;

/// Logs on stdout without timestamps (CloudWatch adds them), as JSON when
/// `AWS_LAMBDA_LOG_FORMAT` is `JSON`, at the level `AWS_LAMBDA_LOG_LEVEL`
/// (or else `RUST_LOG`) names, `INFO` otherwise. Each line carries the
/// invocation's span, which holds the request id.
///
/// What `lambda_runtime`'s default subscriber does, but with a level
/// rather than `RUST_LOG`'s per-target directives: their parser is the
/// `regex` crates', some 0.27 MB of every bootstrap by `cargo bloat`, for
/// a filter no function needs (BENCHMARKS.md, "Lean Lambdas").
pub fn init_lambda() {
    let var = |name| std::env::var(name).ok();
    let level = var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|| var("RUST_LOG"))
        .and_then(|level| level.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let logs = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_max_level(level);
    if var("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json")) {
        logs.json().init();
    } else {
        logs.init();
    }
}
