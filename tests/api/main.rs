//! Every route end to end over real HTTP: on the local server with each
//! store, and on the functions as deployed (`gateway`). The cases are in
//! `cases/`, one file per resource; the helpers they share are here.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use feedback_e2e::{SMS_REPLIES_TOKEN, SMS_TOKEN, Server};
use serde_json::{Value, json};
use std::sync::Arc;

fn today(s: &Server) -> NaiveDate {
    s.tenant.zone.day_of(Utc::now())
}

/// `from=…&to=…` covering yesterday to today in the tenant's zone.
fn recent(s: &Server) -> String {
    let t = today(s);
    format!("from={}&to={t}", t - Duration::days(1))
}

async fn invite(s: &Server, key: &str, body: Value) -> Value {
    let r = s
        .call("POST", "/v1/invitations", Some(key), Some(body))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

/// Creates each rep `(id, display name)` with `key` (reps:write).
async fn put_reps(s: &Server, key: &str, reps: &[(&str, &str)]) {
    for (id, name) in reps {
        let r = s
            .call(
                "PUT",
                &format!("/v1/reps/{id}"),
                Some(key),
                Some(json!({"display_name": name})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
}

/// An SMS invitation for `order` (and `customer`), made 31 days ago for 30
/// days as an old one would have been: it expired yesterday.
fn month_old_invitation(
    s: &Server,
    order: &str,
    customer: Option<&str>,
) -> feedback_core::Invitation {
    feedback_core::model::NewInvitation {
        order_id: Some(order.into()),
        channel: Some("sms".into()),
        customer_ref: customer.map(Into::into),
        ..Default::default()
    }
    .validate(feedback_core::SurveyKind::Csat)
    .unwrap()
    .issue(
        feedback_core::Code::generate().unwrap(),
        Utc::now() - Duration::days(31),
        Duration::days(30),
        &s.tenant.zone,
    )
}

/// A customer's JSON answer to `code` from `address` (the harness's server
/// believes `X-Forwarded-For`, as behind a reverse proxy).
async fn answer_from(
    s: &Server,
    code: &str,
    address: &str,
    body: Value,
    key: Option<&str>,
) -> feedback_e2e::Reply {
    let mut headers = vec![("x-forwarded-for", address)];
    if let Some(key) = key {
        headers.push(("idempotency-key", key));
    }
    s.send_with(
        "POST",
        &format!("/r/{code}"),
        None,
        &headers,
        "application/json",
        body.to_string().into_bytes(),
    )
    .await
}

/// The period's CSAT count and the answers held back for review, for
/// `slice` (`rep_id=…`, or empty for the whole business).
async fn counted(s: &Server, slice: &str) -> (i64, i64) {
    let r = s
        .get(&format!("/v1/scores?{}&{slice}", recent(s)), &s.admin)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let summary = &r.body["summary"];
    (
        summary["csat"]["count"].as_i64().unwrap_or(0),
        summary["flagged"].as_i64().unwrap(),
    )
}

mod cases;

/// The id of the key whose scopes include `scope`, from a `GET /v1/keys`.
fn key_id(keys: &Value, scope: &str) -> String {
    keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["scopes"].as_array().unwrap().iter().any(|s| s == scope))
        .and_then(|k| k["id"].as_str())
        .unwrap()
        .to_owned()
}

/// Runs `n` requests at once and collects their replies.
async fn futures_join<'a, F, Fut>(n: usize, make: F) -> Vec<feedback_e2e::Reply>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = feedback_e2e::Reply> + 'a,
{
    let mut pending: Vec<_> = (0..n).map(|i| Box::pin(make(i))).collect();
    let mut out = Vec::new();
    // Poll all together on this task: they overlap on the wire.
    while !pending.is_empty() {
        let (reply, _, rest) = select_all(pending).await;
        out.push(reply);
        pending = rest;
    }
    out
}

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The first of `futures` to finish, with the rest.
async fn select_all<F: Future + Unpin>(mut futures: Vec<F>) -> (F::Output, usize, Vec<F>) {
    std::future::poll_fn(move |cx: &mut Context<'_>| {
        for i in 0..futures.len() {
            if let Poll::Ready(out) = Pin::new(&mut futures[i]).poll(cx) {
                let rest = std::mem::take(&mut futures)
                    .into_iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, f)| f)
                    .collect();
                return Poll::Ready((out, i, rest));
            }
        }
        Poll::Pending
    })
    .await
}

feedback_e2e::suite!([sqlite, dynamo]:
    walkthrough_of_every_route,
    auth_failures_are_401_and_403,
    bad_input_gets_its_problem,
    expired_links_and_closed_windows,
    concurrent_submits_over_http_count_once,
    customer_pages_answer_with_the_right_status,
    snippets_for_email_receipts_sms_and_qr,
    public_routes_are_rate_limited_per_code,
    follow_up_workflow,
    waiting_follow_ups_are_split_into_due_and_overdue,
    responses_export_as_csv,
    erasure_and_retention,
    webhooks_are_signed_retried_and_deduplicated,
    a_slow_receiver_never_holds_up_a_rating,
    insights_and_dashboard,
    contacts_are_invited_once_per_period,
    a_reusable_link_counts_every_customer_once,
    bots_are_refused_and_bursts_held_for_review,
    an_answer_shared_by_two_reps_counts_for_each,
    invitations_are_sent_once_in_their_language_then_reminded,
    invitations_are_e_mailed_with_a_one_click_opt_out,
    sent_and_failed_messages_are_announced_to_webhooks,
    the_response_rate_leaves_out_what_was_never_sent,
    an_opt_out_link_stops_every_message_to_that_contact,
    a_stop_reply_stops_every_later_message,
    ses_reports_of_bounces_and_complaints_stop_those_addresses,
);

// The cases again on the functions as deployed (each on its own client,
// behind the emulated gateway), holding every DynamoDB call to the
// function's IAM policy in the template: every case but the local server's
// own rate limits (in AWS the gateway's route throttles do that job) and
// the two whose webhook receivers listen on http loopback, which the
// functions refuse in AWS (tests/security.rs checks the notifier's
// deliveries instead).
feedback_e2e::suite!(gateway:
    walkthrough_of_every_route,
    auth_failures_are_401_and_403,
    bad_input_gets_its_problem,
    expired_links_and_closed_windows,
    concurrent_submits_over_http_count_once,
    customer_pages_answer_with_the_right_status,
    snippets_for_email_receipts_sms_and_qr,
    follow_up_workflow,
    waiting_follow_ups_are_split_into_due_and_overdue,
    responses_export_as_csv,
    erasure_and_retention,
    insights_and_dashboard,
    contacts_are_invited_once_per_period,
    a_reusable_link_counts_every_customer_once,
    bots_are_refused_and_bursts_held_for_review,
    an_answer_shared_by_two_reps_counts_for_each,
    an_opt_out_link_stops_every_message_to_that_contact,
    a_recipient_nothing_can_send_to_is_refused,
);

// The stack that sends by SES and SNS, moto standing in for them.
feedback_e2e::suite!(gateway_sending:
    the_send_function_sends_by_ses_and_sns,
    ses_reports_of_bounces_and_complaints_stop_those_addresses,
);

/// A store that cannot be reached is a 503 with Retry-After, never a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_store_is_503_with_retry_after() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let base = feedback_e2e::serve_on_a_dead_store(endpoint).await;
    let response = reqwest::Client::new()
        .post(format!("{base}/r/AAAAAAAAAAAA"))
        .json(&json!({"score": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "urn:feedback:problem:unavailable");
}

/// The local server's own worker sends what is due, without a sweep being
/// asked for: within its poll of a few seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_worker_sends_what_is_due() {
    let s = Server::sqlite().await;
    let sms = s.sms.clone().expect("a local server");
    feedback_local::sending::spawn(s.store.clone(), Arc::new(s.messengers()), s.tenant.clone());
    let writer = s.key(&["invitations:write"]).await;
    cases::send_any_time(&s).await;
    invite(
        &s,
        &writer,
        json!({"order_id": "W-1", "channel": "sms", "recipient": {"phone": "+923001234567"}, "send_after_minutes": 0}),
    )
    .await;
    for _ in 0..60 {
        if !sms.received().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let got = sms.received();
    assert_eq!(got.len(), 1, "sent within 15 s");
    assert!(
        got[0].0["text"]
            .as_str()
            .unwrap()
            .starts_with("Chai Corner: how did we do?")
    );
}
