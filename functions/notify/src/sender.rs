//! Sending one delivery: a signed POST with a short timeout, no redirects,
//! and (in AWS) only to public addresses, checked again after DNS.

use chrono::{DateTime, Utc};
use feedback_core::webhook::{
    Attempt, DELIVERY_HEADER, Delivery, EVENT_HEADER, EVENT_ID_HEADER, SIGNATURE_HEADER, UrlPolicy,
    Webhook, check_url, is_public_ip, sign,
};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A receiver that has not answered by then is a failed attempt, retried
/// later; it must not hold up the other deliveries.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Longest error text kept with an attempt.
const MAX_ERROR_CHARS: usize = 200;

#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    policy: UrlPolicy,
}

/// Resolves names like the system does, then drops every address that is
/// not public: a webhook host cannot be made to point into the network the
/// function runs in (DNS rebinding to 169.254.169.254, 10.x…).
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let public: Vec<SocketAddr> = found.filter(|a| is_public_ip(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{} has no public address", name.as_str()).into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

impl Sender {
    pub fn new(policy: UrlPolicy) -> Sender {
        let mut builder = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("feedback-webhooks/", env!("CARGO_PKG_VERSION")));
        if policy == UrlPolicy::PublicHttps {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        Sender {
            client: builder.build().expect("a TLS backend is compiled in"),
            policy,
        }
    }

    /// One attempt at `delivery` to `webhook`, at `now`: never an error, an
    /// [`Attempt`] saying how it went.
    pub async fn send(
        &self,
        webhook: &Webhook,
        delivery: &Delivery,
        now: DateTime<Utc>,
    ) -> Attempt {
        let started = Instant::now();
        let outcome = self.post(webhook, delivery, now).await;
        let duration_ms = started.elapsed().as_millis() as u64;
        match outcome {
            Ok(status) => Attempt {
                at: now,
                status: Some(status),
                error: None,
                duration_ms,
            },
            Err(error) => Attempt {
                at: now,
                status: None,
                error: Some(error.chars().take(MAX_ERROR_CHARS).collect()),
                duration_ms,
            },
        }
    }

    async fn post(
        &self,
        webhook: &Webhook,
        delivery: &Delivery,
        now: DateTime<Utc>,
    ) -> Result<u16, String> {
        // Checked again: the policy may be stricter here than where the
        // webhook was created, and an IP literal never reaches the resolver.
        let url = check_url("url", &webhook.url, self.policy).map_err(|e| e.message)?;
        let body = delivery.body();
        let response = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header(EVENT_HEADER, delivery.event.kind.as_str())
            .header(EVENT_ID_HEADER, &delivery.event.id)
            .header(DELIVERY_HEADER, &delivery.id)
            .header(
                SIGNATURE_HEADER,
                sign(&webhook.secret, now.timestamp(), &body),
            )
            .body(body)
            .send()
            .await
            .map_err(|e| error_chain(&e))?;
        Ok(response.status().as_u16())
    }
}

/// An error with its causes, which is where reqwest says what went wrong.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use feedback_core::webhook::{Event, EventType};

    #[tokio::test]
    async fn in_aws_a_private_address_is_never_contacted() {
        let now = Utc::now();
        let sender = Sender::new(UrlPolicy::PublicHttps);
        for url in [
            "https://127.0.0.1:9/h",
            "https://169.254.169.254/latest",
            "http://93.184.216.34/",
        ] {
            let webhook = Webhook {
                id: "wh_1".into(),
                url: url.into(),
                events: vec![EventType::ResponseCreated],
                secret: "whsec_x".into(),
                created_at: now,
            };
            let event = Event {
                id: "evt_1".into(),
                kind: EventType::ResponseCreated,
                created_at: now,
                data: serde_json::json!({}),
            };
            let attempt = sender
                .send(&webhook, &Delivery::new(&webhook, event, now), now)
                .await;
            assert_eq!(attempt.status, None, "{url}");
            assert!(!attempt.succeeded());
            assert!(
                attempt
                    .error
                    .is_some_and(|e| e.contains("https") || e.contains("public")),
                "{url}"
            );
        }
    }
}
