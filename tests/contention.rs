//! Bursts through the contention proxy (`tests/tools/ddb-contention-proxy`),
//! which makes DynamoDB Local behave as DynamoDB does under contention: a
//! transaction holds its items for 15 ms and cancels every other that
//! touches them, and one item takes 1,000 write units a second. DynamoDB
//! Local alone runs transactions one at a time and never shows either.
//!
//! The cases here are the short bursts `tests/run.sh` runs every time: every
//! invitation and every rating succeeds and is counted exactly once. The
//! full bursts, with their throughput beside the same burst straight to
//! DynamoDB Local, are a benchmark (`tests/bench/contention.sh`).

use feedback_e2e::burst::{Burst, Target, Via, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_dynamo_a_burst_of_invited_customers_through_the_proxy_all_count_once() {
    let burst = Burst {
        customers: 150,
        batch: 50,
        at_once: 24,
        target: Target::Invitations,
    };
    let outcome = run(&burst, Via::Proxy).await;
    outcome.assert_every_one_counted_once(&burst);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_dynamo_a_burst_through_one_busy_link_through_the_proxy_all_count_once() {
    let burst = Burst {
        customers: 48,
        batch: 0,
        at_once: 24,
        target: Target::Link,
    };
    let outcome = run(&burst, Via::Proxy).await;
    outcome.assert_every_one_counted_once(&burst);
}

/// One full burst, named by `BURST` (`link` or `invitations`), straight to
/// DynamoDB Local, through the proxy (`VIA=proxy`) or through it with
/// nothing held or limited (`VIA=pass-through`, the proxy's own cost): one
/// row of the table `tests/bench/contention.sh` prints, which runs each on
/// a new DynamoDB Local (it slows down as tables and their streams pile
/// up), after a smaller burst that warms it (and its JIT) up.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a benchmark: tests/bench/contention.sh runs it"]
async fn on_dynamo_bench_burst() {
    let burst = match std::env::var("BURST").as_deref() {
        Ok("link") => Burst {
            customers: 48,
            batch: 0,
            at_once: 48,
            target: Target::Link,
        },
        Ok("invitations") => Burst {
            customers: 1500,
            batch: 500,
            at_once: 48,
            target: Target::Invitations,
        },
        other => panic!("BURST is link or invitations, not {other:?}"),
    };
    let via = match std::env::var("VIA").as_deref() {
        Ok("proxy") => Via::Proxy,
        Ok("pass-through") => Via::PassThrough,
        _ => Via::Straight,
    };
    let warm_up = Burst {
        customers: 200,
        batch: 100,
        at_once: 48,
        target: Target::Invitations,
    };
    run(&warm_up, via)
        .await
        .assert_every_one_counted_once(&warm_up);
    let outcome = run(&burst, via).await;
    outcome.assert_every_one_counted_once(&burst);
    println!("{}", outcome.row(&burst, via));
}
