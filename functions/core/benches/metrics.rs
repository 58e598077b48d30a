//! Metric computation over a year of daily rollups: what one `/v1/scores`
//! request does after its store read (merge 365 days, cut into weeks, compute
//! every figure).

use criterion::{Criterion, criterion_group, criterion_main};
use feedback_core::metrics::{Summary, Waiting};
use feedback_core::rollup::Rollup;
use feedback_core::time::{DateRange, Granularity};
use std::hint::black_box;

/// A busy day: a few hundred responses of every kind with answers.
fn day_rollup(seed: i64) -> Rollup {
    let mut r = Rollup {
        invitations: 900 + seed % 50,
        answered: 310 + seed % 20,
        ..Rollup::default()
    };
    for (name, value) in [
        ("c_n", 200),
        ("c_s", 860),
        ("c_q", 3900),
        ("c_h1", 8),
        ("c_h2", 6),
        ("c_h3", 20),
        ("c_h4", 56),
        ("c_h5", 110),
        ("n_n", 80),
        ("n_s", 640),
        ("n_q", 5400),
        ("n_h6", 10),
        ("n_h8", 20),
        ("n_h9", 20),
        ("n_h10", 30),
        ("e_n", 30),
        ("e_s", 160),
        ("e_q", 900),
        ("e_h5", 10),
        ("e_h6", 10),
        ("e_h7", 10),
        ("c_sp_n", 150),
        ("c_sp_x", 600),
        ("c_sp_xx", 2500),
        ("c_sp_y", 650),
        ("c_sp_yy", 2900),
        ("c_sp_xy", 2700),
    ] {
        r.add_counter(name, value + seed % 7);
    }
    r
}

fn year_of_days(c: &mut Criterion) {
    let range =
        DateRange::new("2025-01-01".parse().unwrap(), "2025-12-31".parse().unwrap()).unwrap();
    let days: Vec<_> = range
        .days()
        .enumerate()
        .map(|(i, d)| (d, day_rollup(i as i64)))
        .collect();

    c.bench_function("summary of 365 daily rollups", |b| {
        b.iter(|| {
            let mut total = Rollup::default();
            for (_, r) in black_box(&days) {
                total.merge(r);
            }
            Summary::of(&total, Waiting::default())
        })
    });

    c.bench_function("weekly series of 365 daily rollups", |b| {
        b.iter(|| {
            let mut days = black_box(&days).iter().peekable();
            range
                .buckets(Granularity::Week)
                .into_iter()
                .map(|bucket| {
                    let mut total = Rollup::default();
                    while let Some((_, r)) = days.next_if(|(d, _)| bucket.contains(*d)) {
                        total.merge(r);
                    }
                    Summary::of(&total, Waiting::default())
                })
                .collect::<Vec<_>>()
        })
    });
}

criterion_group!(benches, year_of_days);
criterion_main!(benches);
