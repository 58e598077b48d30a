//! The rollups on DynamoDB as a view of the table's stream: every change
//! counted exactly once however often its records are offered, by however
//! many aggregators at once, and the same figures as SQLite's single
//! transaction gives for the same writes; and an upgrade from the versions
//! that counted in each write's transaction. On DynamoDB Local, through the
//! `aggregate` function's own handler where the event's shape matters.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use feedback_core::model::{Answer, Answers, NewInvitation};
use feedback_core::rollup::{self, RollupIncrement};
use feedback_core::submission::SubmitRules;
use feedback_core::time::TenantZone;
use feedback_core::{Code, FollowUpRules, Invitation, Response, Rollup, Slice, SurveyKind};
use feedback_e2e::dynamo_store;
use feedback_store::dynamo::{Item, StreamReader, StreamRecord, keys};
use feedback_store::{
    Detail, DynamoStore, FollowUpStore, InvitationStore, ResponseStore, SqliteStore, Store,
};
use serde_json::json;

fn zone() -> TenantZone {
    TenantZone::parse("time_zone", "Asia/Karachi").unwrap()
}

fn rules() -> SubmitRules {
    SubmitRules {
        edit_window: Duration::hours(24),
        follow_up: FollowUpRules::default(),
    }
}

fn at() -> DateTime<Utc> {
    "2026-03-10T06:00:00Z".parse().unwrap()
}

fn invitation(order: usize, rep: &str) -> Invitation {
    NewInvitation {
        order_id: Some(format!("order-{order}")),
        rep_id: Some(rep.into()),
        channel: Some("sms".into()),
        location: Some("gulberg".into()),
        ..Default::default()
    }
    .validate(SurveyKind::Csat)
    .unwrap()
    .issue(Code::generate().unwrap(), at(), Duration::days(30), &zone())
}

fn answer(invitation: &Invitation, score: u8) -> Response {
    let answer = Answer {
        score,
        answers: Answers {
            speed: Some(score),
            ..Answers::default()
        },
        comment: None,
    };
    Response::first(invitation, answer, at() + Duration::minutes(5), &zone())
}

/// `n` invited and answered orders, all at once, then one answer changed.
async fn rate(store: &dyn Store, n: usize) {
    let orders: Vec<(Invitation, Response)> = (0..n)
        .map(|i| {
            let inv = invitation(i, ["ayesha", "bilal"][i % 2]);
            let r = answer(&inv, 1 + (i % 5) as u8);
            (inv, r)
        })
        .collect();
    futures::future::join_all(orders.iter().map(|(inv, r)| async move {
        store.create_invitation(inv, None).await.unwrap();
        store
            .record_response(r, r.submitted_at, &rules(), &[])
            .await
            .unwrap();
    }))
    .await;
    // The first customer changes their answer within the window.
    change(store, &orders[0].1, 5).await;
}

/// `answer`'s customer changes its score to `score` a minute later, inside
/// the edit window.
async fn change(store: &dyn Store, answer: &Response, score: u8) {
    let changed = Response {
        score,
        ..answer.clone()
    };
    store
        .record_response(
            &changed,
            answer.submitted_at + Duration::minutes(1),
            &rules(),
            &[],
        )
        .await
        .unwrap();
}

fn day() -> NaiveDate {
    zone().day_of(at())
}

async fn figures(store: &dyn Store) -> Vec<(Slice, Rollup)> {
    let mut out = Vec::new();
    for slice in [
        Slice::All,
        Slice::Rep(feedback_core::RepId::parse("r", "ayesha").unwrap()),
        Slice::Rep(feedback_core::RepId::parse("r", "bilal").unwrap()),
        Slice::Channel(feedback_core::Channel::Sms),
    ] {
        let mut total = Rollup::default();
        for (_, r) in store
            .read_rollups(&slice, day(), day(), Detail::WithQuestions)
            .await
            .unwrap()
        {
            total.merge(&r);
        }
        out.push((slice, total));
    }
    out
}

/// What SQLite counts for the same writes.
async fn on_sqlite(n: usize) -> Vec<(Slice, Rollup)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(dir.path().join("f.db")).unwrap();
    rate(&sqlite, n).await;
    figures(&sqlite).await
}

/// Every record of `store`'s stream so far, by shard.
async fn every_record(store: &DynamoStore) -> Vec<(String, Vec<StreamRecord>)> {
    let mut reader = StreamReader::new(store);
    let mut out: Vec<(String, Vec<StreamRecord>)> = Vec::new();
    loop {
        let batches = reader.next_batches().await.unwrap();
        if batches.iter().all(|b| b.records.is_empty()) {
            return out;
        }
        for batch in batches {
            match out.iter_mut().find(|(s, _)| *s == batch.shard) {
                Some((_, records)) => records.extend(batch.records.iter().cloned()),
                None => out.push((batch.shard.clone(), batch.records.clone())),
            }
            reader.done(batch);
        }
    }
}

#[tokio::test]
async fn on_dynamo_every_change_counts_once_however_often_its_batch_is_offered() {
    let store = dynamo_store().await;
    rate(&store, 12).await;
    assert!(
        figures(&store).await.iter().all(|(_, r)| r.is_zero()),
        "a write touches only its own items"
    );
    let shards = every_record(&store).await;
    // The whole stream, then again, then in pieces and out of order, as
    // Lambda may offer it after failures.
    for (shard, records) in &shards {
        let first = store.aggregate(shard, records, Utc::now()).await.unwrap();
        assert!(first.transactions >= 1, "{first:?}");
        let again = store.aggregate(shard, records, Utc::now()).await.unwrap();
        assert_eq!(again.records, 0, "everything was applied before");
        let mut reversed = records.clone();
        reversed.reverse();
        for piece in reversed.chunks(5) {
            let late = store.aggregate(shard, piece, Utc::now()).await.unwrap();
            assert_eq!(late.transactions, 0);
        }
    }
    assert_eq!(figures(&store).await, on_sqlite(12).await);
}

#[tokio::test]
async fn on_dynamo_aggregators_racing_on_one_shard_count_each_change_once() {
    let store = dynamo_store().await;
    rate(&store, 30).await;
    let shards = every_record(&store).await;
    // Four aggregators, each on its own client, offered the same records
    // at once in batches of different sizes.
    let config = store.sdk_config().clone();
    let runs = (0..4).map(|i| {
        let (config, shards) = (config.clone(), shards.clone());
        let table = store.table().to_owned();
        async move {
            let own = DynamoStore::new(&config, &table);
            for (shard, records) in &shards {
                for batch in records.chunks(7 + i * 11) {
                    own.aggregate(shard, batch, Utc::now()).await.unwrap();
                }
            }
        }
    });
    futures::future::join_all(runs).await;
    assert_eq!(figures(&store).await, on_sqlite(30).await);
}

/// The `aggregate` function's handler: the shard comes from the tumbling
/// window's properties, the answer carries the (unused) state Lambda
/// requires, and a batch without a shard is refused, never applied.
#[tokio::test]
async fn on_dynamo_the_function_applies_a_window_batch_once_and_refuses_one_without_a_shard() {
    let store = dynamo_store().await;
    let inv = invitation(1, "ayesha");
    let r = answer(&inv, 2);
    store.create_invitation(&inv, None).await.unwrap();
    store
        .record_response(&r, r.submitted_at, &rules(), &[])
        .await
        .unwrap();
    let shards = every_record(&store).await;
    let records: Vec<serde_json::Value> = shards
        .iter()
        .flat_map(|(_, rs)| rs.iter().map(lambda_record))
        .collect();
    let event = |shard: Option<&str>| {
        serde_json::from_value::<aws_lambda_events::event::dynamodb::TimeWindowEvent>(json!({
            "Records": records,
            "window": {"start": "2026-03-10T06:00:00Z", "end": "2026-03-10T06:01:00Z"},
            "state": {},
            "shardId": shard,
            "eventSourceARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/t/stream/x",
            "isFinalInvokeForWindow": false,
            "isWindowTerminatedEarly": false,
        }))
        .unwrap()
    };
    assert!(
        feedback_aggregate::on_batch(&store, event(None))
            .await
            .is_err()
    );
    assert!(figures(&store).await.iter().all(|(_, r)| r.is_zero()));
    for _ in 0..2 {
        let answer = feedback_aggregate::on_batch(&store, event(Some("shard-1")))
            .await
            .unwrap();
        let answer = serde_json::to_value(answer).unwrap();
        assert_eq!(answer["state"], json!({}));
        assert_eq!(answer["batchItemFailures"], json!([]));
    }
    let all = &figures(&store).await[0].1;
    assert_eq!(
        (all.invitations, all.answered, all.csat.count, all.csat.sum),
        (1, 1, 1, 2)
    );
}

/// A record as Lambda's event carries it (DynamoDB JSON images).
fn lambda_record(r: &StreamRecord) -> serde_json::Value {
    let image = |item: &feedback_store::dynamo::Item| {
        serde_json::to_value(serde_dynamo::Item::from(item.clone())).unwrap()
    };
    json!({
        "eventID": r.sequence,
        "eventName": r.event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1_795_000_000.0,
            "Keys": image(&r.keys),
            "NewImage": image(&r.new),
            "OldImage": image(&r.old),
            "SequenceNumber": r.sequence,
            "SizeBytes": 100,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    })
}

/// Writes `written` as versions before the aggregator did: without the
/// `agg` marker, with their rollup rows added in the same transaction (and
/// without each channel's share on the `all` row or the follow-ups by
/// status, which they did not keep).
async fn write_as_before(store: &DynamoStore, written: Vec<Item>, counts: &[RollupIncrement]) {
    let client = aws_sdk_dynamodb::Client::new(store.sdk_config());
    let mut items = Vec::new();
    for mut item in written {
        item.remove(feedback_store::dynamo::COUNTED_BY_STREAM);
        let put = Put::builder()
            .table_name(store.table())
            .set_item(Some(item))
            .build()
            .unwrap();
        items.push(TransactWriteItem::builder().put(put).build());
    }
    for row in counts {
        let mut update = Update::builder()
            .table_name(store.table())
            .key("pk", AttributeValue::S(keys::rollups(&row.slice)))
            .key("sk", AttributeValue::S(row.day.to_string()));
        let mut adds = Vec::new();
        let counters = row.delta.counters().into_iter();
        let kept = counters.filter(|(name, _)| {
            !(name.starts_with("ch") || ["f_w", "f_k"].contains(&name.as_str()))
        });
        for (i, (name, value)) in kept.enumerate() {
            adds.push(format!("#c{i} :c{i}"));
            update = update
                .expression_attribute_names(format!("#c{i}"), name)
                .expression_attribute_values(
                    format!(":c{i}"),
                    AttributeValue::N(value.to_string()),
                );
        }
        let update = update.update_expression(format!("ADD {}", adds.join(", ")));
        items.push(
            TransactWriteItem::builder()
                .update(update.build().unwrap())
                .build(),
        );
    }
    client
        .transact_write_items()
        .set_transact_items(Some(items))
        .send()
        .await
        .unwrap();
}

/// The stored item at `key` of `store`'s table, as this version wrote it.
async fn stored(store: &DynamoStore, (pk, sk): (String, String)) -> Item {
    aws_sdk_dynamodb::Client::new(store.sdk_config())
        .get_item()
        .table_name(store.table())
        .key("pk", AttributeValue::S(pk))
        .key("sk", AttributeValue::S(sk))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .expect("the item")
}

/// A stack upgraded in place: the table's rollups already count what the
/// earlier version wrote, and the stream still holds those changes. The
/// new version's aggregator, reading the stream from its oldest record,
/// counts exactly the changes made after the upgrade: new orders, answers
/// to invitations the earlier version made, and an edit of an answer it
/// stored (new minus old).
#[tokio::test]
async fn on_dynamo_an_upgrade_counts_only_the_changes_made_after_it() {
    let store = dynamo_store().await;
    let scratch = dynamo_store().await;
    let sqlite_dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(sqlite_dir.path().join("f.db")).unwrap();
    let before: Vec<(Invitation, Response)> = (0..6)
        .map(|i| {
            let inv = invitation(100 + i, ["ayesha", "bilal"][i % 2]);
            let r = answer(&inv, 1 + i as u8 % 5);
            (inv, r)
        })
        .collect();
    // The earlier version: four orders invited and answered, two invited
    // only. Each item is this version's item without its marker (the
    // formats are otherwise the same), written with its counts.
    for (i, (inv, r)) in before.iter().enumerate() {
        scratch.create_invitation(inv, None).await.unwrap();
        let item = stored(&scratch, keys::invitation(&inv.code)).await;
        write_as_before(&store, vec![item], &rollup::for_invitation(inv)).await;
        sqlite.create_invitation(inv, None).await.unwrap();
        if i < 4 {
            scratch
                .record_response(r, r.submitted_at, &rules(), &[])
                .await
                .unwrap();
            // The answer, and the follow-up a low score opens.
            let mut items = vec![stored(&scratch, keys::response(&r.code, &r.id)).await];
            let mut counts = vec![rollup::for_new_response(r)];
            if let Some(f) = scratch.get_follow_up(&r.id).await.unwrap() {
                items.push(stored(&scratch, keys::follow_up(&f.id)).await);
                counts.push(rollup::for_follow_up(None, &f));
            }
            write_as_before(&store, items, &rollup::merged(counts)).await;
            sqlite
                .record_response(r, r.submitted_at, &rules(), &[])
                .await
                .unwrap();
        }
    }
    let upgraded_from = figures(&store).await;
    assert_eq!(upgraded_from, as_before(figures(&sqlite).await));
    // The new version: an answer to an old invitation, an edit of an old
    // answer, and a new order.
    let (old_inv, _) = &before[4];
    let late = answer(old_inv, 5);
    let (_, old_answer) = &before[0];
    let fresh = invitation(200, "ayesha");
    let fresh_answer = answer(&fresh, 3);
    for s in [&store as &dyn Store, &sqlite] {
        s.record_response(&late, late.submitted_at, &rules(), &[])
            .await
            .unwrap();
        change(s, old_answer, 5).await;
        s.create_invitation(&fresh, None).await.unwrap();
        s.record_response(&fresh_answer, fresh_answer.submitted_at, &rules(), &[])
            .await
            .unwrap();
    }
    // The aggregator starts on the table from the stream's oldest record.
    StreamReader::new(&store).catch_up(&store).await.unwrap();
    let upgraded = figures(&store).await;
    assert_eq!(
        as_before(upgraded.clone()),
        as_before(figures(&sqlite).await)
    );
    assert_ne!(upgraded, upgraded_from);
    // The day's `all` row holds the channel shares of the changes since the
    // upgrade only: its shares fall short of its totals, so the report
    // reads that day's channels from the channel rows (compared above).
    let (_, all) = &upgraded[0];
    assert!(all.channels.iter().any(|c| c.responses > 0));
    assert!(!all.channels_complete());
    // Likewise the follow-ups by status: the row counted one opened
    // before (still awaiting contact), so the scores take that day's
    // awaiting follow-ups from the queue.
    assert!(all.follow_up.opened > 0);
    assert!(!all.follow_up.counts_awaiting());
}

/// `figures` without what the earlier version did not count: each
/// channel's share on the `all` row, and the follow-ups by status.
fn as_before(mut figures: Vec<(Slice, Rollup)>) -> Vec<(Slice, Rollup)> {
    for (_, rollup) in &mut figures {
        rollup.channels = Rollup::default().channels;
        (rollup.follow_up.awaiting, rollup.follow_up.in_hand) = (0, 0);
    }
    figures
}

/// How long a stored rating takes to show in the scores on DynamoDB
/// (Local), with nothing but the local server's own stream worker applying
/// the stream (every 0.2 s): tests/bench/contention.sh prints p50 and p99.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a benchmark: tests/bench/contention.sh runs it"]
async fn on_dynamo_bench_freshness() {
    let store = dynamo_store().await;
    let changes = feedback_local::notifier::Changes::stream(&store, &store);
    // No view: the harness's GETs read the rollups as they are.
    let s = feedback_e2e::Server::start(std::sync::Arc::new(store), changes, None).await;
    let mut lags = Vec::new();
    for i in 0..60u64 {
        let r = s
            .call(
                "POST",
                "/v1/invitations",
                Some(&s.admin),
                Some(json!({"order_id": format!("FRESH-{i}"), "channel": "sms"})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let code = r.body["code"].as_str().unwrap().to_owned();
        let r = s
            .send_with(
                "POST",
                &format!("/r/{code}"),
                None,
                &[("x-forwarded-for", &format!("10.9.{}.{}", i / 250, i % 250))],
                "application/json",
                br#"{"score": 4}"#.to_vec(),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let stored = std::time::Instant::now();
        loop {
            let summary = s.recent_summary().await;
            if summary["responses"].as_u64() == Some(i + 1) {
                break;
            }
            assert!(
                stored.elapsed().as_secs() < 10,
                "not in the scores: {summary}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        lags.push(stored.elapsed().as_secs_f64() * 1000.0);
    }
    lags.sort_by(f64::total_cmp);
    let at = |p: f64| feedback_e2e::percentile(&lags, p);
    println!(
        "| a rating to the scores (local server, DynamoDB Local) | {:.0} | {:.0} | {:.0} |",
        at(0.5),
        at(0.99),
        lags[lags.len() - 1]
    );
}
