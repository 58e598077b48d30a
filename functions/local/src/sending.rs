//! Sending the invitations from the local server: an SMS gateway the
//! operator names by URL (a JSON POST of the number and the text), and the
//! worker that sweeps the due invitations every few seconds, as the `send`
//! schedule does in AWS.

use async_trait::async_trait;
use feedback_app::sending::{Compose, Message, Messenger, NotSent, Sender};
use feedback_core::Settings;
use feedback_core::sending::{Media, Medium};
use feedback_http::{Composer, Tenant};
use feedback_store::Store;
use std::sync::Arc;
use std::time::Duration;

/// How often the worker looks for due invitations: a message goes out at
/// most this long after it is due.
const POLL: Duration = Duration::from_secs(5);
/// A gateway that has not answered by then is a failed try, retried later.
const TIMEOUT: Duration = Duration::from_secs(10);

/// An HTTP SMS gateway: `POST {url}` with `{"to": "+92…", "text": "…"}`,
/// and `Authorization: Bearer {token}` when one is set. A 2xx is sent; a
/// 408, 429 or 5xx (or no answer) is tried again later; another 4xx is a
/// refusal that will not change (a number the gateway rejects).
pub struct SmsGateway {
    client: reqwest::Client,
    url: String,
    token: Option<String>,
}

impl SmsGateway {
    pub fn new(url: &str, token: Option<String>) -> SmsGateway {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("feedback-sms/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a TLS backend is compiled in");
        SmsGateway {
            client,
            url: url.to_owned(),
            token,
        }
    }

    async fn post(&self, to: &str, text: &str) -> Result<(), NotSent> {
        let mut request = self
            .client
            .post(&self.url)
            .json(&serde_json::json!({"to": to, "text": text}));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let status = request
            .send()
            .await
            .map_err(|e| NotSent {
                reason: format!("the SMS gateway did not answer: {}", without_url(&e)),
                retry: true,
            })?
            .status();
        if status.is_success() {
            return Ok(());
        }
        let retry = status.is_server_error() || matches!(status.as_u16(), 408 | 429);
        Err(NotSent {
            reason: format!("the SMS gateway answered {status}"),
            retry,
        })
    }
}

/// A reqwest error without its URL, which may hold the gateway's key.
fn without_url(e: &reqwest::Error) -> String {
    let e = e.to_string();
    e.split(" for url").next().unwrap_or(&e).to_owned()
}

/// The senders the operator configured.
#[derive(Default)]
pub struct Messengers {
    pub sms: Option<SmsGateway>,
}

impl Messengers {
    /// From `SMS_GATEWAY_URL` (and `SMS_GATEWAY_TOKEN`); none when unset.
    pub fn from_env() -> Messengers {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Messengers {
            sms: var("SMS_GATEWAY_URL").map(|url| SmsGateway::new(&url, var("SMS_GATEWAY_TOKEN"))),
        }
    }

    pub fn media(&self) -> Media {
        Media {
            email: false,
            sms: self.sms.is_some(),
        }
    }
}

#[async_trait]
impl Messenger for Messengers {
    fn sends(&self, medium: Medium) -> bool {
        self.media().sends(medium)
    }

    async fn send(&self, message: &Message) -> Result<(), NotSent> {
        match (message, &self.sms) {
            (Message::Sms(sms), Some(gateway)) => gateway.post(&sms.to, &sms.text).await,
            (Message::Sms(_), None) => Err(NotSent {
                reason: "no SMS gateway is configured (SMS_GATEWAY_URL)".into(),
                retry: false,
            }),
            (Message::Email(_), _) => Err(NotSent {
                reason: "the local server sends no e-mail yet".into(),
                retry: false,
            }),
        }
    }
}

/// One sweep at `now`: what is due is sent, and the outcomes recorded.
pub async fn sweep(
    store: &dyn Store,
    messenger: &dyn Messenger,
    tenant: &Tenant,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<feedback_app::sending::Swept, feedback_store::StoreError> {
    let settings = store.get_settings().await?.unwrap_or_else(|| Settings {
        default_locale: tenant.default_locale.clone(),
        ..Settings::defaults(&tenant.name)
    });
    let composer = Composer::new(
        &tenant.base_url,
        store.secret().await?,
        tenant.default_locale.clone(),
    );
    let composer: &dyn Compose = &composer;
    Sender {
        store,
        messenger,
        composer,
        zone: &tenant.zone,
        settings: &settings,
    }
    .sweep(now)
    .await
}

/// Sweeps every [`POLL`] on its own task, for as long as the process runs.
pub fn spawn(store: Arc<dyn Store>, messenger: Arc<dyn Messenger>, tenant: Tenant) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(POLL);
        loop {
            tick.tick().await;
            match sweep(
                store.as_ref(),
                messenger.as_ref(),
                &tenant,
                chrono::Utc::now(),
            )
            .await
            {
                Ok(swept) if swept.sent + swept.not_sent + swept.cancelled > 0 => {
                    tracing::info!(?swept, "sent the due invitations");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "the send sweep failed; trying again"),
            }
        }
    });
}
