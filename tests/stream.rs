//! The rollups on DynamoDB as a view of the table's stream: every change
//! counted exactly once however often its records are offered, by however
//! many aggregators at once, and the same figures as SQLite's single
//! transaction gives for the same writes. On DynamoDB Local, through the
//! `aggregate` function's own handler where the event's shape matters.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use feedback_core::model::{Answer, Answers, NewInvitation};
use feedback_core::submission::SubmitRules;
use feedback_core::time::TenantZone;
use feedback_core::{Code, FollowUpRules, Invitation, Response, Rollup, Slice, SurveyKind};
use feedback_e2e::dynamo_store;
use feedback_store::dynamo::{StreamReader, StreamRecord};
use feedback_store::{DynamoStore, InvitationStore, ResponseStore, SqliteStore, Store};
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
    let (_, first) = &orders[0];
    let changed = Response {
        score: 5,
        ..first.clone()
    };
    store
        .record_response(
            &changed,
            first.submitted_at + Duration::minutes(1),
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
        for (_, r) in store.read_rollups(&slice, day(), day()).await.unwrap() {
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
