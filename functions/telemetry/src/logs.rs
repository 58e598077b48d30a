//! Log lines: a Lambda function's, as Lambda's advanced logging controls
//! ask for them, and the local server's.

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

/// The local server's logs: on stderr, filtered by `RUST_LOG`, a level
/// (`debug`) or targets with levels (`info,feedback_store=debug`); `INFO`
/// when unset. `Targets` rather than `EnvFilter`: the same directives
/// without span and field filters, and without the regex engine those need
/// (a quicker first build).
pub fn init_local() {
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let directives = std::env::var("RUST_LOG").unwrap_or_default();
    let (filter, invalid) = match directives.parse::<Targets>() {
        Ok(filter) if !directives.trim().is_empty() => (filter, None),
        Ok(_) => (Targets::new().with_default(tracing::Level::INFO), None),
        Err(e) => (Targets::new().with_default(tracing::Level::INFO), Some(e)),
    };
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(filter)
        .init();
    if let Some(e) = invalid {
        tracing::warn!(error = %e, RUST_LOG = directives, "RUST_LOG not understood; logging at info");
    }
}
